// Package mp3test decodes MP3 files with ffmpeg for tests that check
// recordings by content.
package mp3test

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Decode decodes an MP3 file with ffmpeg into 16 kHz mono samples, as a
// player would: with an Info tag, the encoder delay and padding dropped. It
// skips the test when ffmpeg is not installed.
func Decode(t testing.TB, mp3 []byte) []int16 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "decode.mp3")
	if err := os.WriteFile(path, mp3, 0o600); err != nil {
		t.Fatal(err)
	}
	return DecodeFile(t, path)
}

// DecodeFile is Decode of the file at path.
func DecodeFile(t testing.TB, path string) []int16 {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ar", "16000", "-ac", "1", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode %s: %v", path, err)
	}
	pcm := make([]int16, len(out)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	return pcm
}
