package video

// Image is a picture in planar YUV 4:2:0 (I420, BT.601 limited range, as
// ffmpeg's yuv420p): a W×H luma plane and two (W/2)×(H/2) chroma planes,
// without padding. W and H are even.
type Image struct {
	W, H    int
	Y, U, V []byte
}

// NewImage returns a black w×h image.
func NewImage(w, h int) *Image {
	img := &Image{W: w, H: h, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	img.Fill(Black)
	return img
}

// Size returns the bytes of one frame of a w×h I420 picture.
func Size(w, h int) int { return w * h * 3 / 2 }

// Color is a YUV colour.
type Color struct{ Y, U, V byte }

// Colours used by the compositor.
var (
	Black      = Color{16, 128, 128}
	Background = Color{24, 128, 128}
	Tile       = Color{52, 128, 128}
	White      = Color{235, 128, 128}
	LabelBack  = Color{28, 128, 128}
)

// RGB converts an sRGB colour to BT.601 limited-range YUV.
func RGB(r, g, b int) Color {
	y := (66*r+129*g+25*b+128)>>8 + 16
	u := (-38*r-74*g+112*b+128)>>8 + 128
	v := (112*r-94*g-18*b+128)>>8 + 128
	return Color{clamp(y), clamp(u), clamp(v)}
}

func clamp(x int) byte { return byte(min(max(x, 0), 255)) }

// Fill paints the whole image c.
func (m *Image) Fill(c Color) { m.FillRect(0, 0, m.W, m.H, c) }

// FillRect paints the rectangle at (x, y) of w×h c, clipped to the image;
// chroma is painted on the even grid that covers it.
func (m *Image) FillRect(x, y, w, h int, c Color) {
	x0, y0, x1, y1 := max(x, 0), max(y, 0), min(x+w, m.W), min(y+h, m.H)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	for r := y0; r < y1; r++ {
		fill(m.Y[r*m.W+x0:r*m.W+x1], c.Y)
	}
	cw := m.W / 2
	for r := y0 / 2; r < (y1+1)/2; r++ {
		fill(m.U[r*cw+x0/2:r*cw+(x1+1)/2], c.U)
		fill(m.V[r*cw+x0/2:r*cw+(x1+1)/2], c.V)
	}
}

func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// Draw copies src into m with its top-left corner at (x, y), both even,
// clipped to m.
func (m *Image) Draw(src *Image, x, y int) {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+src.W, m.W), min(y+src.H, m.H)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	for r := y0; r < y1; r++ {
		sr := r - y
		copy(m.Y[r*m.W+x0:r*m.W+x1], src.Y[sr*src.W+(x0-x):])
	}
	cw, scw := m.W/2, src.W/2
	for r := y0 / 2; r < y1/2; r++ {
		sr := r - y/2
		copy(m.U[r*cw+x0/2:r*cw+x1/2], src.U[sr*scw+(x0-x)/2:])
		copy(m.V[r*cw+x0/2:r*cw+x1/2], src.V[sr*scw+(x0-x)/2:])
	}
}

// Bytes returns the image as one I420 frame (Y, then U, then V) in dst.
func (m *Image) Bytes(dst []byte) []byte {
	dst = append(dst[:0], m.Y...)
	dst = append(dst, m.U...)
	return append(dst, m.V...)
}

// SetBytes fills the image from one I420 frame of its size.
func (m *Image) SetBytes(b []byte) {
	n := m.W * m.H
	copy(m.Y, b[:n])
	copy(m.U, b[n:n+n/4])
	copy(m.V, b[n+n/4:])
}

// At returns the colour of the pixel at (x, y).
func (m *Image) At(x, y int) Color {
	c := (y/2)*(m.W/2) + x/2
	return Color{m.Y[y*m.W+x], m.U[c], m.V[c]}
}
