package ffmpegtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ThreadCPU returns the calling OS thread's user+system CPU time; lock the
// goroutine to its thread (runtime.LockOSThread) around what it measures.
func ThreadCPU(t testing.TB) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// NetCPU measures ffmpeg doing a job on a file: it writes input to a file,
// runs ffmpeg on it (inArgs, "-stream_loop" loops−1, "-i" the file, outArgs,
// an output file) so that it reads the file loops times over, and returns
// ffmpeg's user+system CPU time for one pass, least of three runs, less the
// same measure on the first startupBytes of input (ffmpeg's start-up). The
// command line it ran is returned for the record.
func NetCPU(t testing.TB, input []byte, startupBytes, loops int, inArgs, outArgs []string) (net time.Duration, cmdline string) {
	t.Helper()
	path := Require(t)
	dir := t.TempDir()
	full, short := filepath.Join(dir, "in.raw"), filepath.Join(dir, "short.raw")
	if err := os.WriteFile(full, input, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(short, input[:startupBytes], 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(in, out string) []string {
		a := append([]string{"-nostdin", "-v", "error", "-y"}, inArgs...)
		a = append(a, "-stream_loop", strconv.Itoa(loops-1), "-i", in)
		return append(append(a, outArgs...), out)
	}
	out := filepath.Join(dir, "out.raw")
	cpu := func(in string) time.Duration {
		best := time.Duration(-1)
		for range 3 {
			cmd := exec.CommandContext(t.Context(), path, args(in, out)...)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg %v: %v\n%s", args(in, out), err, msg)
			}
			if c := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(); best < 0 || c < best {
				best = c
			}
		}
		return best
	}
	cmdline = "ffmpeg"
	for _, a := range args("in.raw", "out.raw") {
		cmdline += " " + a
	}
	return (cpu(full) - cpu(short)) / time.Duration(loops), cmdline
}

// LoopCPU runs op in the benchmark loop on a locked thread and reports its
// thread CPU time per op as "cpu-ns/op", a figure that holds on a busy
// machine where wall time (ns/op) does not.
func LoopCPU(b *testing.B, op func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := ThreadCPU(b)
	for b.Loop() {
		op()
	}
	perOp := (ThreadCPU(b) - start) / time.Duration(b.N)
	b.ReportMetric(float64(perOp.Nanoseconds()), "cpu-ns/op")
	return perOp
}
