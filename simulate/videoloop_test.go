package simulate

import (
	"encoding/binary"
	"testing"
)

// TestEncodeVideoLoop encodes a loop with a keyframe every 15 frames: one
// flash period of frames, keyframes where asked, each a 640×360 VP8
// keyframe by its header.
func TestEncodeVideoLoop(t *testing.T) {
	frames, err := EncodeVideoLoop(t.Context(), "loop", "red", VideoFPS)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != FlashEvery {
		t.Fatalf("%d frames, want %d", len(frames), FlashEvery)
	}
	for n := 0; n < FlashEvery; n += VideoFPS {
		f := frames[n]
		// A VP8 keyframe: the frame tag's bit 0 clear, the start code
		// 9d 01 2a, then width and height (14 bits each).
		if len(f) < 10 || f[0]&1 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
			t.Fatalf("frame %d is not a VP8 keyframe: % x", n, f[:min(len(f), 10)])
		}
		if w, h := binary.LittleEndian.Uint16(f[6:])&0x3fff, binary.LittleEndian.Uint16(f[8:])&0x3fff; w != VideoWidth || h != VideoHeight {
			t.Errorf("frame %d is %dx%d, want %dx%d", n, w, h, VideoWidth, VideoHeight)
		}
	}
	if _, err := EncodeVideoLoop(t.Context(), "loop", "purple", 0); err == nil {
		t.Error("a colour that is not one of VideoColors was taken")
	}
}
