package video

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/callrec/callrec"
)

// Config configures a Compositor. Zero fields take the defaults in
// brackets (ACS's mixed audioVideo format).
type Config struct {
	Width, Height int // canvas [1920×1080]
	TileW, TileH  int // tile [640×360: a 3×3 grid fills the canvas]
	MaxTiles      int // [9]
	// Hold and Margin: see Layout [3 s, 2×].
	Hold   int64
	Margin float64
	// Stale is how long after a participant's last picture its tile shows
	// the placeholder again, in call-clock samples [2 s].
	Stale int64
	// RequestKeyframe, if set, asks a participant's sender for a keyframe
	// (its decoder failed and restarts at the next one).
	RequestKeyframe func(participant string)
	Log             *slog.Logger
}

func (c *Config) defaults() {
	if c.Width == 0 {
		c.Width, c.Height = 1920, 1080
	}
	if c.TileW == 0 {
		c.TileW, c.TileH = 640, 360
	}
	if c.MaxTiles == 0 {
		c.MaxTiles = 9
	}
	if c.Hold == 0 {
		c.Hold = 3 * callrec.SampleRate
	}
	if c.Margin == 0 {
		c.Margin = 2
	}
	if c.Stale == 0 {
		c.Stale = 2 * callrec.SampleRate
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// maxPictures is the most pictures of a participant kept: 8 s at one per
// output frame. Pictures are kept until the composition has passed them,
// so that a composition that lags behind the decoders (an encoder slower
// than real time for a while) still finds the pictures of its time.
const maxPictures = 8 * 16

// tile is one participant: its name, its decoder and its pictures.
type tile struct {
	name  string
	codec Codec
	dec   *decoder
	pics  []picture // by position, at most one per output frame
	spare []*Image  // pictures no longer needed, for reuse
}

type picture struct {
	pos int64
	img *Image
}

// Compositor lays out the call's participants on one canvas: the most
// active speakers (Layout), each as its latest picture at the position
// composed, or a placeholder when it has none, with its name. Its methods
// may be called from any goroutine; Compose returns a canvas that is valid
// until the next Compose, and is called from one goroutine.
type Compositor struct {
	cfg    Config
	mu     sync.Mutex
	tiles  map[string]*tile
	layout Layout
	canvas *Image
	holder *Image // placeholder background
	// composed is the position of the last composition: pictures before
	// the last one at or before it are no longer needed. Compositions
	// follow one another a frame apart, so it also gives the phase of the
	// next ones (see picture); started says there was one.
	composed int64
	started  bool
	// closers are the goroutines stopping replaced decoders; Close waits.
	closers sync.WaitGroup
}

// New returns a Compositor.
func New(cfg Config) *Compositor {
	cfg.defaults()
	c := &Compositor{cfg: cfg, tiles: map[string]*tile{}, canvas: NewImage(cfg.Width, cfg.Height)}
	c.layout = Layout{MaxTiles: cfg.MaxTiles, Hold: cfg.Hold, Margin: cfg.Margin, Smoothing: 1.5 * callrec.SampleRate}
	c.holder = NewImage(cfg.TileW, cfg.TileH)
	c.holder.Fill(Tile)
	return c
}

// DisplayName returns the label of a participant known by its raw id: the
// id without its kind prefix ("8:acs:", "4:", …).
func DisplayName(rawID string) string {
	if i := strings.LastIndexByte(rawID, ':'); i >= 0 && i < len(rawID)-1 {
		return rawID[i+1:]
	}
	return rawID
}

func (c *Compositor) tile(p string) *tile {
	t := c.tiles[p]
	if t == nil {
		t = &tile{name: DisplayName(p)}
		c.tiles[p] = t
		c.layout.Join(p)
	}
	return t
}

// Join adds a participant (it also joins with its first media).
func (c *Compositor) Join(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tile(p)
}

// SetName sets the label of p.
func (c *Compositor) SetName(p, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tile(p).name = name
}

// Leave removes p: its tile goes and its decoder stops.
func (c *Compositor) Leave(p string) {
	c.mu.Lock()
	t := c.tiles[p]
	delete(c.tiles, p)
	c.layout.Leave(p)
	c.mu.Unlock()
	if t != nil && t.dec != nil {
		t.dec.close()
	}
}

// Audio feeds one frame of p's audio into its speaker activity.
func (c *Compositor) Audio(p string, samples []int16) {
	var sum float64
	for _, s := range samples {
		f := float64(s) / 32768
		sum += f * f
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tile(p)
	c.layout.Audio(p, sum, len(samples))
}

// Video decodes one encoded picture of p captured at call-clock position
// pos. It does not block: decoding happens on the decoder's goroutine. A
// participant's first frame, and its first after a codec change or a
// decoder failure, must be a keyframe; others are dropped until one comes,
// and the sender is asked for one.
func (c *Compositor) Video(p string, pos int64, codec Codec, keyframe bool, data []byte) {
	c.mu.Lock()
	t := c.tile(p)
	var stale *decoder
	if t.dec != nil && t.dec.codec != codec {
		stale, t.dec = t.dec, nil
	}
	if t.dec == nil && keyframe {
		d, err := startDecoder(codec, c.cfg.TileW, c.cfg.TileH,
			func(pos int64, frame []byte) { c.picture(p, pos, frame, nil) },
			func(err error) {
				c.cfg.Log.Warn("video: decoder failed; waiting for a keyframe", "participant", p, "err", err)
			})
		if err != nil {
			c.mu.Unlock()
			c.cfg.Log.Warn("video: cannot decode", "participant", p, "err", err)
			return
		}
		t.dec = d
	}
	dec := t.dec
	c.mu.Unlock()
	if stale != nil {
		c.closers.Go(stale.close)
	}
	if dec == nil {
		c.requestKeyframe(p)
		return
	}
	if !dec.put(pos, data) {
		c.mu.Lock()
		if t.dec == dec {
			t.dec = nil
		}
		c.mu.Unlock()
		c.closers.Go(dec.close)
		c.requestKeyframe(p)
	}
}

func (c *Compositor) requestKeyframe(p string) {
	if c.cfg.RequestKeyframe != nil {
		c.cfg.RequestKeyframe(p)
	}
}

// Picture puts a decoded picture of p (TileW×TileH) captured at call-clock
// position pos, as if its decoder had output it.
func (c *Compositor) Picture(p string, pos int64, img *Image) {
	c.picture(p, pos, nil, img)
}

// Decoded returns the call-clock position of p's latest picture, and
// whether it has one. An offline job (callrec bench) polls it to feed the
// decoders no faster than they decode.
func (c *Compositor) Decoded(p string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tiles[p]
	if t == nil || len(t.pics) == 0 {
		return 0, false
	}
	return t.pics[len(t.pics)-1].pos, true
}

// picture keeps a picture of p, either as I420 bytes or an Image. Once
// compositions have started, only the latest picture in each span between
// two compositions, (composed + (k−1)·frame, composed + k·frame], is kept:
// the one that the composition at the end of the span shows. Spans cut on
// a fixed grid instead (pos/frame) would let a later picture of the span
// replace one that a composition within it should show, and that
// composition would show the picture before: up to a frame late. Before
// the first composition, whose phase is not known yet, every picture is
// kept (at most maxPictures).
func (c *Compositor) picture(p string, pos int64, frame []byte, img *Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tiles[p]
	if t == nil {
		return // left
	}
	// Drop what the composition has passed: every picture before the
	// last one at or before the composed position.
	keep := 0
	for keep+1 < len(t.pics) && t.pics[keep+1].pos <= c.composed {
		keep++
	}
	if n := len(t.pics); n > 0 && (keep > 0 || n >= maxPictures) {
		keep = max(keep, n-maxPictures+1)
		for _, old := range t.pics[:keep] {
			t.spare = append(t.spare, old.img)
		}
		t.pics = append(t.pics[:0], t.pics[keep:]...)
	}
	var slot *picture
	if n := len(t.pics); n > 0 && c.started && c.span(pos) == c.span(t.pics[n-1].pos) {
		slot = &t.pics[n-1]
	} else {
		var im *Image
		if k := len(t.spare); k > 0 {
			im, t.spare = t.spare[k-1], t.spare[:k-1]
		} else {
			im = NewImage(c.cfg.TileW, c.cfg.TileH)
		}
		t.pics = append(t.pics, picture{img: im})
		slot = &t.pics[len(t.pics)-1]
	}
	slot.pos = pos
	if frame != nil {
		slot.img.SetBytes(frame)
	} else {
		slot.img.Draw(img, 0, 0)
	}
}

// frameSamples is one output frame at 16 fps in call-clock samples.
const frameSamples = callrec.SampleRate / 16

// span numbers the spans between compositions a frame apart, from the
// last one: span k = ⌈(pos − composed) / frame⌉ is
// (composed + (k−1)·frame, composed + k·frame].
func (c *Compositor) span(pos int64) int64 {
	d := pos - c.composed + frameSamples - 1
	if d < 0 {
		return -((-d + frameSamples - 1) / frameSamples)
	}
	return d / frameSamples
}

// at returns t's latest picture captured at or before pos (or its oldest,
// if all are later), or nil if it has none younger than Stale.
func (c *Compositor) at(t *tile, pos int64) *Image {
	if len(t.pics) == 0 {
		return nil
	}
	best := &t.pics[0]
	for i := range t.pics {
		if t.pics[i].pos > pos {
			break
		}
		best = &t.pics[i]
	}
	if pos-best.pos > c.cfg.Stale {
		return nil
	}
	return best.img
}

// Compose draws the call as it was at call-clock position pos: the
// pictures captured up to pos (the middle of the output frame is a good
// pos), the tiles chosen by the layout at pos.
func (c *Compositor) Compose(pos int64) *Image {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || pos > c.composed {
		c.composed, c.started = pos, true
	}
	cv := c.canvas
	cv.Fill(Background)
	visible := c.layout.Update(pos)
	grid := Grid(len(visible), cv.W, cv.H, c.cfg.TileW, c.cfg.TileH)
	for i, p := range visible {
		t := c.tiles[p]
		x, y := grid[i][0], grid[i][1]
		if img := c.at(t, pos); img != nil {
			cv.Draw(img, x, y)
		} else {
			cv.Draw(c.holder, x, y)
			w := TextWidth(t.name)
			cv.DrawText(t.name, x+(c.cfg.TileW-w)/2, y+(c.cfg.TileH-glyphH*Scale)/2, White)
		}
		cv.DrawLabel(t.name, x, y, c.cfg.TileW, c.cfg.TileH)
	}
	return cv
}

// Blank returns a canvas with no tiles (a paused span kept as silence).
func (c *Compositor) Blank() *Image {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.canvas.Fill(Black)
	return c.canvas
}

// Close stops every decoder.
func (c *Compositor) Close() {
	c.mu.Lock()
	var decs []*decoder
	for _, t := range c.tiles {
		if t.dec != nil {
			decs = append(decs, t.dec)
			t.dec = nil
		}
	}
	c.mu.Unlock()
	for _, d := range decs {
		d.close()
	}
	c.closers.Wait()
}
