package sip_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	callsip "github.com/callrec/callrec/sip"
)

// sippScenarios are the scenarios of testdata/sipp, each with what the
// test checks beyond sipp's own checks of the answers.
var sippScenarios = []struct {
	file   string
	slow   bool // against an endpoint that answers INVITEs after 10 s
	record bool // the call is recorded; check reads the phone's channel
	check  func(t *testing.T, x []int16)
}{
	{file: "unknown-codecs-488.xml"},
	{file: "malformed-sdp-400.xml"},
	{file: "cancel-487.xml", slow: true},
	{file: "early-bye.xml"},
	{file: "bye-crossing-200.xml"},
	{file: "reinvite-codec.xml"},
	{file: "hold-resume.xml", record: true, check: checkHoldResume},
	{file: "late-offer.xml", record: true, check: checkLateOffer},
}

// TestSippEdgeCases runs sipp (Debian sip-tester) as the phone for edge
// cases, one scenario each in testdata/sipp: sipp checks the answers and
// exits 0 when the scenario completed; a recorded scenario's audio is
// checked too. One node serves them all.
func TestSippEdgeCases(t *testing.T) {
	sipp := sippBinary(t)
	files, err := filepath.Glob(filepath.Join("testdata", "sipp", "*.xml"))
	if err != nil || len(files) != len(sippScenarios) {
		t.Fatalf("testdata/sipp has %d scenarios, the table %d: %v", len(files), len(sippScenarios), err)
	}
	n := startNode(t)
	var slow *callsip.Endpoint
	// hold-resume.xml streams tone440-pcmu.wav from sipp's directory.
	media := t.TempDir()
	wav := filepath.Join(media, "tone440-pcmu.wav")
	// One second of a 440 Hz tone at sippToneAmp, µ-law (ffmpeg writes
	// the WAV); sipp loops it.
	enc := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0",
		"-c:a", "pcm_mulaw", wav)
	var pcm bytes.Buffer
	_ = binary.Write(&pcm, binary.LittleEndian, audio.Sine(440, sippToneAmp, 8000, 8000))
	enc.Stdin = &pcm
	if out, err := enc.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	for _, sc := range sippScenarios {
		t.Run(sc.file, func(t *testing.T) {
			callID := n.createCall(t)
			server := n.sip
			if sc.slow {
				if slow == nil {
					slow = startEndpoint(t, n, callsip.Config{Calls: slowCalls{Calls: n.srv.App.Service, delay: 10 * time.Second}})
				}
				server = slow.Addr()
			}
			var recID string
			if sc.record {
				recID = n.startRecording(t, callID)
			}
			dir := t.TempDir()
			scenario, err := filepath.Abs(filepath.Join("testdata", "sipp", sc.file))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), sipp, "-sf", scenario, "-s", callID, "-m", "1",
				"-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-timeout", "30s", "-timeout_error",
				"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
				"127.0.0.1:"+strconv.Itoa(int(server.Port())))
			cmd.Dir = media
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
				t.Fatalf("sipp: %v\n%s\n%s", err, out, errs)
			}
			n.waitParticipants(t, callID, nil)
			if sc.record {
				x, _, ids := n.recorded(t, recID)
				if !slices.Equal(ids, []string{"4:+14255550100"}) {
					t.Errorf("metadata participants %v", ids)
				}
				sc.check(t, x)
			}
		})
	}
}

// checkLateOffer: sipp answered callrec's offer in its ACK and streamed
// the tone for 2 s: callrec heard 2 s of it (±300 ms: SIP round trips on
// a loaded machine), at its level.
func checkLateOffer(t *testing.T, x []int16) {
	t.Helper()
	first, last := audio.FirstAbove(x, 0.01), lastAbove(x, 0.01)
	t.Logf("tone from %d to %d ms", first/16, last/16)
	if first < 0 || last-first < 17*1600 || last-first > 23*1600 {
		t.Fatalf("tone from sample %d to %d: want about 2 s of it", first, last)
	}
	checkTone(t, "late offer", x, first+800, last-800, sippToneAmp)
}

// sippToneAmp is the amplitude of the tone hold-resume.xml streams.
const sippToneAmp = 0.25

// checkHoldResume: sipp streamed a 440 Hz tone all along; callrec heard
// 2 s of it, 2 s of silence while the phone was on hold, and 2 s again,
// each in place (hold is silence on the timeline, not a gap that shifts
// what follows).
func checkHoldResume(t *testing.T, x []int16) {
	t.Helper()
	var spans [][2]int // tone spans, in 10 ms blocks
	for i, on := 0, false; i+160 <= len(x); i += 160 {
		loud := audio.RMS(x[i:i+160]) > 0.01
		switch {
		case loud && !on:
			spans = append(spans, [2]int{i / 160, i / 160})
		case loud:
			spans[len(spans)-1][1] = i / 160
		}
		on = loud
	}
	if len(spans) != 2 {
		t.Fatalf("tone spans (10 ms blocks) %v: want two, around the hold", spans)
	}
	first, hold, second := spans[0][1]-spans[0][0], spans[1][0]-spans[0][1], spans[1][1]-spans[1][0]
	t.Logf("tone %d ms, hold %d ms, tone %d ms", 10*first, 10*hold, 10*second)
	// Each about 2 s (SIP round trips and a loaded machine: ±300 ms).
	for what, d := range map[string]int{"first tone": first, "hold": hold, "second tone": second} {
		if d < 170 || d > 230 {
			t.Errorf("%s lasts %d ms, want about 2000", what, 10*d)
		}
	}
	checkTone(t, "before hold", x, spans[0][0]*160+800, spans[0][1]*160-800, sippToneAmp)
	checkTone(t, "after hold", x, spans[1][0]*160+800, spans[1][1]*160-800, sippToneAmp)
}
