package simulate

import (
	"context"
	"fmt"
	"sync"
)

// EncodeVideoLoop encodes one flash period (FlashEvery frames, 4 s) of the
// synthetic video of participant name in colour, with the same painter and
// VP8 encoder as a simulated participant's live video, for senders that
// replay encoded frames instead of encoding live (callrec bench live, one
// encode per colour per process). Frame 0 is the flash and a keyframe, and
// so is every keyEvery-th frame after it (0: frame 0 only; the
// encoder may add others), so that a
// replaying sender answers a keyframe request within keyEvery frames and
// the loop wraps on a keyframe. The counter on the picture counts frames
// within the loop.
func EncodeVideoLoop(ctx context.Context, name, colour string, keyEvery int) ([][]byte, error) {
	c, err := videoColor(colour)
	if err != nil {
		return nil, err
	}
	frames := make([][]byte, FlashEvery)
	var mu sync.Mutex
	got := 0
	enc, err := newVP8Encoder(ctx, func(frame []byte, index int) {
		mu.Lock()
		defer mu.Unlock()
		if index >= 0 && index < len(frames) {
			frames[index] = frame
			got++
		}
	})
	if err != nil {
		return nil, err
	}
	p := newPainter(name, c)
	for n := range FlashEvery {
		key := n > 0 && keyEvery > 0 && n%keyEvery == 0
		if err := enc.Encode(p.frame(n), n, key); err != nil {
			enc.Close()
			return nil, err
		}
	}
	enc.Close() // waits until every frame is out
	if err := enc.Err(); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if got != len(frames) {
		return nil, fmt.Errorf("simulate: the VP8 encoder returned %d of %d frames", got, len(frames))
	}
	for n, f := range frames {
		if want := n == 0 || (keyEvery > 0 && n%keyEvery == 0); want && (len(f) == 0 || f[0]&1 != 0) {
			return nil, fmt.Errorf("simulate: VP8 frame %d is not a keyframe", n)
		}
	}
	return frames, nil
}
