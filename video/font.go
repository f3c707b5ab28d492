package video

import (
	"image"

	"golang.org/x/image/font/basicfont"
)

// The label font is X11's misc-fixed 7×13 (public domain), as
// golang.org/x/image/font/basicfont holds it, drawn at Scale times its size.
const (
	glyphW   = 7
	glyphH   = 13
	Scale    = 2
	LabelH   = glyphH*Scale + 2*labelPad
	labelPad = 6
)

// TextWidth returns the width in pixels of s drawn by DrawText.
func TextWidth(s string) int { return len([]rune(s)) * glyphW * Scale }

// DrawText draws s in luma value c.Y with its top-left corner at (x, y),
// clipped to m; characters outside ASCII are drawn as '?'. Only the luma
// plane is touched: the text takes the colour of what is beneath it, which
// is grey where the label's box is.
func (m *Image) DrawText(s string, x, y int, c Color) {
	face := basicfont.Face7x13
	mask, ok := face.Mask.(*image.Alpha)
	if !ok {
		return
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		gy := int(r-0x20) * glyphH
		for py := range glyphH {
			for px := range face.Width {
				if mask.Pix[(gy+py)*mask.Stride+px] < 0x80 {
					continue
				}
				for sy := range Scale {
					yy := y + py*Scale + sy
					if yy < 0 || yy >= m.H {
						continue
					}
					for sx := range Scale {
						xx := x + px*Scale + sx
						if xx >= 0 && xx < m.W {
							m.Y[yy*m.W+xx] = c.Y
						}
					}
				}
			}
		}
		x += glyphW * Scale
	}
}

// DrawLabel draws s on a dark box at the bottom-left corner of the
// rectangle at (x, y) of w×h, cut to fit its width.
func (m *Image) DrawLabel(s string, x, y, w, h int) {
	maxChars := (w - 4*labelPad) / (glyphW * Scale)
	if r := []rune(s); len(r) > maxChars {
		s = string(r[:max(maxChars-1, 0)]) + "~"
	}
	bw := TextWidth(s) + 2*labelPad
	bx, by := x+labelPad, y+h-LabelH-labelPad
	m.FillRect(bx&^1, by&^1, (bw+1)&^1, LabelH, LabelBack)
	m.DrawText(s, bx+labelPad, by+labelPad, White)
}
