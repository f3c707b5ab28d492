package video

import (
	"math"
	"slices"
)

// Layout chooses which participants have a tile: everyone in join order
// while they fit, else the most active speakers; and it keeps the choice
// stable: a participant keeps its tile and its
// place while it has one, and a speaker without a tile takes the tile of
// the least active one only when it has been clearly louder (Margin) and
// that tile has been shown for at least Hold. Positions are call-clock
// samples. It is not safe for concurrent use.
type Layout struct {
	// MaxTiles is the most tiles shown.
	MaxTiles int
	// Hold is the least time, in call-clock samples, a tile stays before
	// another speaker may take it.
	Hold int64
	// Margin is how many times louder (in smoothed energy) a speaker must
	// be than the weakest tile's to take its place.
	Margin float64
	// Smoothing is the time constant of the activity level, in samples.
	Smoothing float64

	parts   map[string]*speaker
	joined  []string // present, in join order
	visible []string // tiles, in their order on screen
}

type speaker struct {
	level   float64 // smoothed mean square, in full scale²
	shownAt int64
}

func (l *Layout) part(p string) *speaker {
	if l.parts == nil {
		l.parts = map[string]*speaker{}
	}
	s := l.parts[p]
	if s == nil {
		s = &speaker{}
		l.parts[p] = s
		l.joined = append(l.joined, p)
	}
	return s
}

// Join adds p (again, it is a no-op).
func (l *Layout) Join(p string) { l.part(p) }

// Leave removes p and its tile; the tiles after it move up one place.
func (l *Layout) Leave(p string) {
	delete(l.parts, p)
	l.joined = slices.DeleteFunc(l.joined, func(q string) bool { return q == p })
	l.visible = slices.DeleteFunc(l.visible, func(q string) bool { return q == p })
}

// Audio feeds n samples of p's audio with energy sumSquares (in full
// scale², summed over the samples) into its activity level.
func (l *Layout) Audio(p string, sumSquares float64, n int) {
	if n == 0 {
		return
	}
	s := l.part(p)
	a := math.Exp(-float64(n) / l.Smoothing)
	s.level = a*s.level + (1-a)*sumSquares/float64(n)
}

// Level returns p's activity level.
func (l *Layout) Level(p string) float64 {
	if s := l.parts[p]; s != nil {
		return s.level
	}
	return 0
}

// Update returns the participants with a tile at pos, in screen order.
// The slice is the layout's own, valid until the next call.
func (l *Layout) Update(pos int64) []string {
	// Free tiles go to the participants without one: in join order when
	// there is room for all of them, else the most active first.
	for len(l.visible) < l.MaxTiles {
		c := l.bestHidden()
		if len(l.joined) <= l.MaxTiles {
			c = l.firstHidden()
		}
		if c == "" {
			break
		}
		l.parts[c].shownAt = pos
		l.visible = append(l.visible, c)
	}
	// At most one swap per update.
	c := l.bestHidden()
	if c == "" {
		return l.visible
	}
	weak := -1
	for i, p := range l.visible {
		s := l.parts[p]
		if pos-s.shownAt < l.Hold {
			continue
		}
		if weak < 0 || s.level < l.parts[l.visible[weak]].level {
			weak = i
		}
	}
	if weak >= 0 && l.parts[c].level > l.Margin*l.parts[l.visible[weak]].level+1e-9 {
		l.parts[c].shownAt = pos
		l.visible[weak] = c
	}
	return l.visible
}

// firstHidden returns the earliest joined participant without a tile, or "".
func (l *Layout) firstHidden() string {
	for _, p := range l.joined {
		if !slices.Contains(l.visible, p) {
			return p
		}
	}
	return ""
}

// bestHidden returns the most active participant without a tile (the
// earliest joined among equals), or "".
func (l *Layout) bestHidden() string {
	best := ""
	for _, p := range l.joined {
		if slices.Contains(l.visible, p) {
			continue
		}
		if best == "" || l.parts[p].level > l.parts[best].level {
			best = p
		}
	}
	return best
}

// Grid returns the top-left corners of n tiles of tw×th on a w×h canvas:
// rows of ceil(√n) tiles, centred, the last row centred too.
func Grid(n, w, h, tw, th int) [][2]int {
	if n == 0 {
		return nil
	}
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	y0 := (h - rows*th) / 2
	out := make([][2]int, 0, n)
	for r := range rows {
		k := min(cols, n-r*cols)
		x0 := (w - k*tw) / 2
		for c := range k {
			out = append(out, [2]int{(x0 + c*tw) &^ 1, (y0 + r*th) &^ 1})
		}
	}
	return out
}
