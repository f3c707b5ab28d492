package video_test

import (
	"testing"
	"time"

	"github.com/callrec/callrec/video"
	"github.com/callrec/callrec/video/videotest"
)

// near reports whether two colours differ by at most tol in each component.
func near(a, b video.Color, tol int) bool {
	d := func(x, y byte) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.Y, b.Y) <= tol && d(a.U, b.U) <= tol && d(a.V, b.V) <= tol
}

// TestCompositeDecodesTilesInPlace feeds a red VP8 participant, a blue
// H.264 one (at 320×240: scaled and padded into its tile) and an
// audio-only one, and checks each tile's colour at its place in the grid.
func TestCompositeDecodesTilesInPlace(t *testing.T) {
	dir := t.TempDir()
	red, err := videotest.Encode(dir, "VP8", "red", 640, 360, 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	blue, err := videotest.Encode(dir, "H264", "blue", 320, 240, 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	c := video.New(video.Config{})
	defer c.Close()
	for _, p := range []string{"8:acs:red", "8:acs:blue", "4:+15550100"} {
		c.Join(p)
	}
	for i := range min(len(red), len(blue)) {
		pos := int64(i) * 16000 / 30
		c.Video("8:acs:red", pos, video.VP8, red[i].Keyframe, red[i].Data)
		c.Video("8:acs:blue", pos, video.H264, blue[i].Keyframe, blue[i].Data)
	}
	// The decoders work on their own goroutines: compose until both
	// tiles show their colour (ffmpeg under load may take a while).
	grid := video.Grid(3, 1920, 1080, 640, 360)
	centre := func(i int) (int, int) { return grid[i][0] + 320, grid[i][1] + 160 }
	wantRed, wantBlue := video.RGB(255, 0, 0), video.RGB(0, 0, 255)
	deadline := time.Now().Add(20 * time.Second)
	var img *video.Image
	for {
		img = c.Compose(int64(1.5 * 16000))
		x0, y0 := centre(0)
		x1, y1 := centre(1)
		if near(img.At(x0, y0), wantRed, 12) && near(img.At(x1, y1), wantBlue, 12) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiles: red %v (want %v), blue %v (want %v)", img.At(x0, y0), wantRed, img.At(x1, y1), wantBlue)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// 320×240 in a 640×360 tile: scaled to 480×360, black bars left and right.
	if x, y := grid[1][0]+20, grid[1][1]+100; !near(img.At(x, y), video.Black, 4) {
		t.Errorf("blue tile's pillarbox at (%d,%d) is %v, want black", x, y, img.At(x, y))
	}
	x2, y2 := centre(2)
	if got := img.At(x2-200, y2-100); got != video.Tile {
		t.Errorf("audio-only placeholder is %v, want %v", got, video.Tile)
	}
	// Every tile has a label: white text pixels in its bottom-left corner.
	for i := range 3 {
		white := 0
		for y := grid[i][1] + 360 - video.LabelH - 6; y < grid[i][1]+360-6; y++ {
			for x := grid[i][0] + 6; x < grid[i][0]+300; x++ {
				if img.Y[y*img.W+x] == video.White.Y {
					white++
				}
			}
		}
		if white < 50 {
			t.Errorf("tile %d: %d white label pixels", i, white)
		}
	}
	// Outside the tiles, the background.
	if got := img.At(10, 10); got != video.Background {
		t.Errorf("background %v", got)
	}
}

func TestLayoutKeepsTilesAndSwapsOnlyForAClearlyLouderSpeaker(t *testing.T) {
	l := video.Layout{MaxTiles: 2, Hold: 3 * 16000, Margin: 2, Smoothing: 1.5 * 16000}
	for _, p := range []string{"a", "b", "c"} {
		l.Join(p)
	}
	// speak feeds 20 ms frames of everyone at these mean-square levels.
	speak := func(a, b, c float64, seconds int) {
		for range 50 * seconds {
			l.Audio("a", a*320, 320)
			l.Audio("b", b*320, 320)
			l.Audio("c", c*320, 320)
		}
	}
	speak(0.01, 0.02, 0, 1)
	if got := l.Update(1 * 16000); len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Fatalf("first layout %v, want the two most active [b a]", got)
	}
	// c speaks a little louder than a: no swap.
	speak(0.01, 0.02, 0.015, 4)
	if got := l.Update(5 * 16000); got[1] != "a" {
		t.Fatalf("swapped for a speaker not clearly louder: %v", got)
	}
	// c is clearly louder than a, whose tile has been shown for over 3 s:
	// c takes a's place, b stays first.
	speak(0.01, 0.02, 0.2, 2)
	if got := l.Update(7 * 16000); got[0] != "b" || got[1] != "c" {
		t.Fatalf("after c speaks up: %v, want [b c]", got)
	}
	// a speaks up at once: c's tile is held for 3 s.
	speak(1, 0.02, 0, 1)
	if got := l.Update(8 * 16000); got[1] != "c" {
		t.Fatalf("a tile was taken within its hold: %v", got)
	}
	speak(1, 0.02, 0, 2)
	// After the hold a takes the place of the weakest tile: b's (c, decaying
	// from its speech, is still above b's murmur).
	if got := l.Update(10*16000 + 1); got[0] != "a" || got[1] != "c" {
		t.Fatalf("after the hold: %v, want [a c]", got)
	}
	// A tile that leaves is closed up, and the free tile goes to b.
	l.Leave("a")
	if got := l.Update(11 * 16000); len(got) != 2 || got[0] != "c" || got[1] != "b" {
		t.Fatalf("after a left: %v, want [c b]", got)
	}
}
