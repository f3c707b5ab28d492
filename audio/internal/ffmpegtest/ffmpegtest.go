// Package ffmpegtest runs ffmpeg as a reference for the codec tests under
// audio/: raw bytes in on stdin, raw bytes out on stdout, no files. It also
// converts between int16 samples and the little-endian bytes ffmpeg's s16le
// format carries.
package ffmpegtest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of ffmpeg. Without it the test is skipped, or
// fails when CI=true.
func Require(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ffmpeg is required in CI: %v", err)
		}
		t.Skip("ffmpeg not installed")
	}
	return path
}

// Run runs ffmpeg with args (input "-i pipe:0", output "pipe:1" are the
// caller's to give), feeding it stdin and returning its stdout. It fails the
// test, with ffmpeg's stderr, if ffmpeg fails.
func Run(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	path := Require(t)
	cmd := exec.CommandContext(t.Context(), path, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// S16LE returns samples as little-endian bytes (ffmpeg's -f s16le).
func S16LE(samples []int16) []byte {
	out := make([]byte, 2*len(samples))
	for i, v := range samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// Samples reads little-endian 16-bit samples from b (a trailing odd byte is
// ignored).
func Samples(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}
