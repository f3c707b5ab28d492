package sip_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/internal/testserver"
)

// jsApp is e2e/jssdk/incoming-call.mjs running: an ACS application built
// on the official SDKs only.
type jsApp struct {
	url   string
	stdin io.WriteCloser
	lines <-chan map[string]any
}

// requireNodeSDK returns e2e/jssdk, or skips (fails with CI=true) when
// node or its node_modules are missing.
func requireNodeSDK(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("../e2e/jssdk")
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	}
	for _, pkg := range []string{"@azure/communication-call-automation", "call-automation-1.5.1", "@azure/eventgrid"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil && missing == "" {
			missing = "e2e/jssdk/node_modules/" + pkg + " is missing (run `npm ci` in e2e/jssdk)"
		}
	}
	if missing == "" {
		return dir
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the JS SDK test cannot run: %s", missing)
	}
	t.Skipf("skipping the official JS SDK test: %s", missing)
	return ""
}

func startJSApp(t *testing.T, dir, version, connectionString string) *jsApp {
	t.Helper()
	stdin, lines := runNode(t, dir, []string{"CALLREC_CONNECTION_STRING=" + connectionString, "LATE_ANSWER_MS=3000"},
		"incoming-call.mjs", version)
	a := &jsApp{stdin: stdin, lines: lines}
	first := a.next(t, "")
	a.url = first["url"].(string)
	return a
}

// runNode runs `node script args…` in dir with env added, until the test
// ends: it returns the script's stdin and its JSON stdout lines (other
// lines are logged), closed when it exits.
func runNode(t *testing.T, dir string, env []string, script string, args ...string) (io.WriteCloser, <-chan map[string]any) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = t.Output()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			} else {
				t.Logf("%s: %s", script, sc.Text())
			}
		}
	}()
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	return stdin, lines
}

// next returns the app's next line whose step is step ("" for any).
func (a *jsApp) next(t *testing.T, step string) map[string]any {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case m, ok := <-a.lines:
			if !ok {
				t.Fatalf("the app exited before %q", step)
			}
			if m["step"] == "error" {
				t.Fatalf("the app failed: %v", m)
			}
			if step == "" || m["step"] == step {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q from the app", step)
		}
	}
}

// TestOfficialSDKAnswersAPhoneCall is the ACS quickstart's flow against
// callrec with the repo's sipgo test phone as the caller (the acceptance
// with a real baresip phone is TestTelephonyWithRealPhones; this one adds
// SDK 1.5.1, the refusals below, and tone timing to the packet), driven
// by the official JS SDK (1.6.0 and 1.5.1) and
// @azure/eventgrid: a phone calls, the app gets IncomingCall through its
// Event Grid subscription, answers, gets CallConnected at its callback,
// records the call by serverCallId (unmixed, the phone on channel 0),
// pauses 2 s, resumes, and hangs up for everyone; RecordingFileStatusUpdated
// arrives and the WAV holds the phone's tone on channel 0 where it was
// spoken, the paused span cut. Before that, the same app rejects one
// number (486), redirects another (302), answers a third too late (480
// to the caller, 404 IncomingCallNotFound to the SDK), and ignores a
// fourth whose caller cancels (487).
func TestOfficialSDKAnswersAPhoneCall(t *testing.T) {
	dir := requireNodeSDK(t)
	srv := testserver.Start(t, testserver.FastWebhooks(), testserver.WithConfig(func(c *app.Config) {
		c.SIPAddr, c.SIPRingTimeout, c.SIPTrunk = "127.0.0.1:0", 2*time.Second, "127.0.0.1:5999"
	}))
	n := nodeOf(t, srv)
	for _, version := range []string{"1.6.0", "1.5.1"} {
		t.Run(version, func(t *testing.T) {
			ctx := t.Context()
			js := startJSApp(t, dir, version, srv.ConnectionString)
			sub, _, err := srv.App.Subscriptions.Put(ctx, callrec.Subscription{Name: "app-" + version[:1] + version[2:3] + version[4:],
				URL: js.url + "/eventgrid", Types: []string{"Microsoft.Communication.IncomingCall", "Microsoft.Communication.RecordingFileStatusUpdated"}})
			if err != nil || sub.State != callrec.SubscriptionValidated {
				t.Fatalf("subscription: %+v, %v", sub, err)
			}
			defer srv.App.Subscriptions.Delete(context.WithoutCancel(ctx), sub.Name)

			ph := newPhone(t, n.sip, "+14255550100")
			if r := <-ph.ring(ctx, "+18005550101"); r.code != 486 {
				t.Errorf("rejected (busy): the caller got %d, want 486", r.code)
			}
			if r := <-ph.ring(ctx, "+18005550102"); r.code != 302 || r.contact != "sip:+14255550123@127.0.0.1:5999;user=phone" {
				t.Errorf("redirected: the caller got %d (Contact %q), want 302", r.code, r.contact)
			}
			if r := <-ph.ring(ctx, "+18005550103"); r.code != 480 {
				t.Errorf("not answered in time: the caller got %d, want 480", r.code)
			}
			if late := js.next(t, "lateAnswer")["error"].(map[string]any); late["status"] != float64(404) || late["code"] != "IncomingCallNotFound" {
				t.Errorf("answering after the ring timeout: %v, want RestError 404 IncomingCallNotFound", late)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancelled := ph.ring(cctx, "+18005550104")
			js.next(t, "ignored")
			cancel()
			if r := <-cancelled; r.code != 487 {
				t.Errorf("cancelled while ringing: %d, want 487", r.code)
			}

			done := ph.ring(ctx, "+18005550100")
			answered := js.next(t, "answered")
			r := <-done
			if r.code != 200 {
				t.Fatalf("the answered call got %d", r.code)
			}
			js.next(t, "connected")
			recID := js.next(t, "recording")["recordingId"].(string)
			to, _, _ := media(t, r.answer)
			snd := newSender(ph.rtp, to, "PCMU")
			begin := snd.tone(440, 0.5, 6*time.Second) // the app pauses 1.5 s in, for 2 s
			end := begin.Add(6 * time.Second)
			paused, resumed := js.next(t, "paused"), js.next(t, "resumed")
			io.WriteString(js.stdin, "hangup\n")
			rep := js.next(t, "report")["report"].(map[string]any)

			serverCallID := answered["serverCallId"].(string)
			kinds := checkQuickstartReport(t, rep, serverCallID, recID)
			if kinds["IncomingCall"] != 5 || kinds["CallConnected"] != 1 || kinds["ParticipantsUpdated"] < 1 || kinds["CallDisconnected"] != 1 {
				t.Errorf("events the app read: %v", kinds)
			}

			// The recording, by content: channel 0 is the phone's tone where
			// it was spoken, with the paused span cut out (so the tone ends
			// that much earlier in the file); the other channels are silent.
			x, start, ids := n.downloaded(t, recID)
			pause := time.UnixMilli(int64(resumed["at"].(float64))).Sub(time.UnixMilli(int64(paused["at"].(float64))))
			const tol = 150 * 16 // the pause's edges are timed by the app's clock, over HTTP
			first, last := audio.FirstAbove(x, 0.1), lastAbove(x, 0.1)
			if d := first - at(start, begin); d < -tol || d > tol {
				t.Errorf("tone starts at %d, sent at %d (%+d samples)", first, at(start, begin), d)
			}
			if want := at(start, end) - int(pause.Seconds()*16000); last-want < -tol || last-want > tol {
				t.Errorf("tone ends at %d, want %d: sent until %d less the %v pause", last, want, at(start, end), pause)
			}
			if !slices.Contains(ids, "4:+14255550100") {
				t.Errorf("metadata participants %v", ids)
			}
			checkTone(t, "tone", x, first+1600, last-1600, 0.5)
			t.Logf("SDK %s: tone sent %d–%d, recorded %d–%d with a %v pause cut (samples from the chunk's start)",
				version, at(start, begin), at(start, end), first, last, pause)
		})
	}
}

// checkQuickstartReport checks the report of incoming-call.mjs for the
// call to +18005550100 from 4:+14255550100 that it answered (serverCallID)
// and recorded (recID), and returns how many events of each kind it read.
func checkQuickstartReport(t *testing.T, rep map[string]any, serverCallID, recID string) map[string]int {
	t.Helper()
	if rep["properties"].(map[string]any)["state"] != "connected" || !slices.Equal(toStrings(rep["participants"]), []string{"4:+14255550100"}) {
		t.Errorf("connection as the SDK read it: %v", rep)
	}
	fs := rep["fileStatus"].(map[string]any)
	if fs["recordingId"] != recID || fs["serverCallId"] != serverCallID || fs["endReason"] != "CallEnded" || fs["chunks"] != float64(1) {
		t.Errorf("RecordingFileStatusUpdated as @azure/eventgrid read it: %v", fs)
	}
	if rep["disconnected"].(map[string]any)["subCode"] != float64(7000) {
		t.Errorf("CallDisconnected: %v", rep["disconnected"])
	}
	kinds := map[string]int{}
	for _, e := range rep["events"].([]any) {
		ev := e.(map[string]any)
		kinds[ev["type"].(string)]++
		if ev["type"] == "IncomingCall" && ev["to"] == "4:+18005550100" &&
			(ev["serverCallId"] != serverCallID || ev["from"] != "4:+14255550100") {
			t.Errorf("IncomingCall as @azure/eventgrid read it: %v", ev)
		}
		if ev["type"] == "CallConnected" && (ev["serverCallId"] != serverCallID || ev["operationContext"] != "op-answer") {
			t.Errorf("CallConnected as parseCallAutomationEvent read it: %v", ev)
		}
	}
	return kinds
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
