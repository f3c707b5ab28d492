package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
	"github.com/callrec/callrec/audio/resample"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/srctest"
	"github.com/callrec/callrec/siprec"
)

// TestSIPRECStreamsPerCore measures what SIPREC costs a real `callrec
// serve`: for each step of CALLREC_SIPREC_BENCH (sessions, e.g. "5,10,20";
// two PCMA streams each, recorded unmixed by the default policy) the
// server's CPU time during a hold of CALLREC_SIPREC_BENCH_HOLD (default
// 30s), per recorded stream-minute, against the floor (A-law expansion and
// 8 → 16 kHz upsampling of one stream-minute, on this thread); every
// recording is checked by content (each stream's tone on its channel for
// the hold). Skipped unless CALLREC_SIPREC_BENCH is set.
func TestSIPRECStreamsPerCore(t *testing.T) {
	steps := os.Getenv("CALLREC_SIPREC_BENCH")
	if steps == "" {
		t.Skip("a benchmark: CALLREC_SIPREC_BENCH=5,10,20 go test -run TestSIPRECStreamsPerCore ./e2e")
	}
	hold := 30 * time.Second
	if v := os.Getenv("CALLREC_SIPREC_BENCH_HOLD"); v != "" {
		var err error
		if hold, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	floor := pcmaFloor()
	t.Logf("floor: %v CPU per stream-minute (A-law + upsampling)", floor)
	for s := range strings.SplitSeq(steps, ",") {
		sessions, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || sessions < 1 {
			t.Fatalf("CALLREC_SIPREC_BENCH step %q", s)
		}
		t.Run(fmt.Sprintf("%d-sessions", sessions), func(t *testing.T) { benchSIPREC(t, sessions, hold, floor) })
	}
}

func benchSIPREC(t *testing.T, sessions int, hold, floor time.Duration) {
	sipAddr := freeSIPAddr(t)
	srv := startServer(t, serverOptions{args: []string{"--ice-loopback-only", "--log-level", "warn",
		"--sip-addr=" + sipAddr.String(), "--sip-rtp-ports", "30000-39999"}})
	ctx, cancel := context.WithTimeout(t.Context(), hold+3*time.Minute)
	defer cancel()
	srcs := make([]*srctest.SRC, sessions)
	for i := range srcs {
		src, err := srctest.New(sipAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		a := &srctest.Stream{Label: "1", AOR: fmt.Sprintf("tel:+1425555%04d", 2*i)}
		b := &srctest.Stream{Label: "2", AOR: fmt.Sprintf("tel:+1425555%04d", 2*i+1)}
		if code, err := src.Invite(ctx, fmt.Sprintf("bench-%d", i), a, b); err != nil || code != 200 {
			t.Fatalf("INVITE %d: %d %v", i, code, err)
		}
		srcs[i] = src
	}
	pid := srv.cmd.Process.Pid
	var wg sync.WaitGroup
	errs := make([]error, sessions)
	cpu0, err := processCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i, src := range srcs {
		wg.Go(func() { _, errs[i] = src.Tone(ctx, []float64{440, 1000}, 0.5, hold) })
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, err := processCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	for _, src := range srcs {
		if err := src.Bye(ctx); err != nil {
			t.Fatal(err)
		}
	}
	streamMinutes := float64(2*sessions) * wall.Minutes()
	perStreamMinute := time.Duration(float64(cpu1-cpu0) / streamMinutes)
	t.Logf("%d sessions, %d streams, %v held: server CPU %v (%.2f cores), %v per stream-minute = %.1f× the floor; %.0f streams per core",
		sessions, 2*sessions, wall.Round(time.Millisecond), (cpu1 - cpu0).Round(time.Millisecond),
		float64(cpu1-cpu0)/float64(wall), perStreamMinute.Round(time.Microsecond), float64(perStreamMinute)/float64(floor),
		float64(time.Minute)/float64(perStreamMinute))

	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := client.CallRecording()
	for i := range sessions {
		callID := siprec.ServerCallID(fmt.Sprintf("bench-%d", i), 0)
		var id string
		for r, err := range rec.List(callautomation.ListRecordingsOptions{ServerCallID: callID}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			id = r.RecordingID
		}
		var res *callautomation.RecordingResult
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err = rec.Result(ctx, id)
			if err == nil && res.SessionEndReason != "" && res.SessionEndReason != "sessionStillOngoing" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("session %d: recording %q not stopped: %v", i, id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		var content bytes.Buffer
		if _, err := rec.DownloadTo(ctx, res.RecordingStorageInfo.RecordingChunks[0].ContentLocation, &content); err != nil {
			t.Fatal(err)
		}
		w, err := wav.Read(bytes.NewReader(content.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for ch, f := range []float64{440, 1000} {
			x := w.Channels[ch]
			first := audio.FirstAbove(x, 0.1)
			n := int(hold.Seconds()*16000) * 9 / 10
			if first < 0 || first+n > len(x) {
				t.Errorf("session %d channel %d: tone from %d, want %d samples of it", i, ch, first, n)
				continue
			}
			got, ratio := audio.DetectTone(x[first:first+n], 16000, []float64{440, 1000, 700})
			level := audio.DBFS(audio.RMS(x[first : first+n]))
			if got != f || ratio < 50 || level < -10 {
				t.Errorf("session %d channel %d: %v Hz (×%.0f) at %.1f dBFS, want %v Hz at -9 dBFS", i, ch, got, ratio, level, f)
			}
		}
	}
}

// pcmaFloor is the least CPU time (of five runs, this thread) of A-law
// expansion and 8 → 16 kHz upsampling of one stream-minute of a tone.
func pcmaFloor() time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pcm := audio.Sine(440, 0.5, 8000, 60*8000)
	law := make([]byte, len(pcm))
	g711.PCMA.Encode(law, pcm)
	out8, out16 := make([]int16, 160), make([]int16, 320)
	best := time.Duration(1 << 62)
	for range 5 {
		up := resample.NewUpsampler()
		t0 := threadCPU()
		for k := 0; k+160 <= len(law); k += 160 {
			g711.PCMA.Decode(out8, law[k:k+160])
			up.Process(out16, out8)
		}
		best = min(best, threadCPU()-t0)
	}
	return best
}

func threadCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is a process's user and system CPU time so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(u+k) * time.Second / 100, nil
}
