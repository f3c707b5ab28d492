package simulate

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Synthetic video: VideoWidth x VideoHeight at VideoFPS, a picture in one
// colour with a darker bar sweeping across it, the participant's name and
// the frame counter written on it, and every FlashPeriod one all-white
// frame (the flash) while the audio beeps (BeepHz for BeepDuration): a
// recording shows the two at the same time when audio and video are in
// sync.
const (
	VideoWidth  = 640
	VideoHeight = 360
	VideoFPS    = 15
	// FlashEvery is the flash period in frames (4 s); frame 0 flashes.
	FlashEvery = 4 * VideoFPS
)

// VideoColors are the colours a synthetic video may have (video:NAME).
var VideoColors = map[string]color.RGBA{
	"red":     {R: 220, G: 30, B: 30},
	"green":   {R: 30, G: 200, B: 30},
	"blue":    {R: 30, G: 60, B: 220},
	"yellow":  {R: 230, G: 220, B: 30},
	"magenta": {R: 210, G: 40, B: 210},
	"cyan":    {R: 30, G: 210, B: 210},
	"orange":  {R: 240, G: 140, B: 20},
	"gray":    {R: 128, G: 128, B: 128},
}

// videoColor parses a colour name of VideoColors.
func videoColor(name string) (color.RGBA, error) {
	c, ok := VideoColors[strings.ToLower(name)]
	if !ok {
		return c, fmt.Errorf("video colour %q: want one of red, green, blue, yellow, magenta, cyan, orange, gray", name)
	}
	return c, nil
}

// painter draws the synthetic pictures of one participant into a reused
// YUV 4:2:0 (BT.601, limited range) buffer, as ffmpeg's rawvideo yuv420p
// reads it.
type painter struct {
	name      string
	y, cb, cr uint8 // the colour
	dy        uint8 // the bar's luma
	buf       []byte
	base      []byte // the picture without bar and text
	bar       []byte // one row of the bar
	text      *image.Alpha
}

func newPainter(name string, c color.RGBA) *painter {
	y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
	y = limited(y)
	p := &painter{name: name, y: y, cb: limitedC(cb), cr: limitedC(cr), dy: y / 2,
		buf:  make([]byte, VideoWidth*VideoHeight*3/2),
		base: make([]byte, VideoWidth*VideoHeight*3/2),
		bar:  make([]byte, 48),
		text: image.NewAlpha(image.Rect(0, 0, (VideoWidth-32)/2, 40))}
	w, h := VideoWidth, VideoHeight
	fill(p.base[:w*h], p.y)
	fill(p.base[w*h:w*h*5/4], p.cb)
	fill(p.base[w*h*5/4:], p.cr)
	fill(p.bar, p.dy)
	return p
}

// limited maps full-range luma to video range (16–235), chroma to 16–240.
func limited(v uint8) uint8  { return uint8(16 + int(v)*219/255) }
func limitedC(v uint8) uint8 { return uint8(16 + int(v)*224/255) }

// frame draws frame n and returns the buffer (valid until the next call).
func (p *painter) frame(n int) []byte {
	w, h := VideoWidth, VideoHeight
	yp, up, vp := p.buf[:w*h], p.buf[w*h:w*h*5/4], p.buf[w*h*5/4:]
	if n%FlashEvery == 0 {
		fill(yp, 235)
		fill(up, 128)
		fill(vp, 128)
		return p.buf
	}
	copy(p.buf, p.base)
	// The bar: 48 pixels wide, sweeping across in 2 s.
	x0 := (n * 16) % w
	for row := 0; row < h; row++ {
		copy(yp[row*w+x0:min(row*w+x0+48, (row+1)*w)], p.bar)
	}
	// Name and counter, white on the colour, twice the font's size.
	clear(p.text.Pix)
	d := font.Drawer{Dst: p.text, Src: image.Opaque, Face: basicfont.Face7x13}
	d.Dot = fixed.P(2, 12)
	d.DrawString(p.name)
	d.Dot = fixed.P(2, 30)
	d.DrawString("#" + strconv.Itoa(n))
	b := p.text.Bounds()
	for ty := 0; ty < b.Dy(); ty++ {
		for tx := 0; tx < b.Dx(); tx++ {
			if p.text.Pix[ty*p.text.Stride+tx] < 128 {
				continue
			}
			for dy := range 2 {
				for dx := range 2 {
					yp[(16+2*ty+dy)*w+16+2*tx+dx] = 235
				}
			}
		}
	}
	return p.buf
}

func fill(b []byte, v uint8) {
	for i := range b {
		b[i] = v
	}
}
