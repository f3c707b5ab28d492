package video_test

import (
	"testing"

	"github.com/callrec/callrec/video"
)

// TestComposeShowsTheLatestPictureUpToItsPosition: a participant's
// pictures at 30 fps, each a shade of its own, come in 450 ms ahead of the
// compositions (as a recorder composes behind the decoders), which are 1/16
// s apart at any phase of the call clock; every composition shows the
// latest picture captured up to its position, never one before it.
func TestComposeShowsTheLatestPictureUpToItsPosition(t *testing.T) {
	const (
		frame = 16000 / 16
		ahead = 450 * 16
	)
	shade := func(i int) video.Color { return video.Color{Y: byte(16 + i%200), U: 128, V: 128} }
	picPos := func(i int) int64 { return int64(i) * 16000 / 30 }
	for phase := int64(0); phase < frame; phase += 37 {
		// One tile on a canvas of its size: only the choice of picture
		// is under test.
		c := video.New(video.Config{Width: 320, Height: 180, TileW: 320, TileH: 180})
		c.Join("8:acs:p")
		img := video.NewImage(320, 180)
		next := 0 // next picture to put
		for k := range int64(80) {
			pos := 16000 + phase + k*frame
			for ; picPos(next) <= pos+ahead; next++ {
				img.Fill(shade(next))
				c.Picture("8:acs:p", picPos(next), img)
			}
			want := 0
			for i := 1; picPos(i) <= pos; i++ {
				want = i
			}
			if got := c.Compose(pos).At(160, 40); got != shade(want) {
				t.Fatalf("phase %d: composition at %d shows %v, want picture %d (at %d) %v",
					phase, pos, got, want, picPos(want), shade(want))
			}
		}
		c.Close()
	}
}
