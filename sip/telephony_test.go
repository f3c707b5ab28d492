package sip_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/baresiptest"
	"github.com/callrec/callrec/internal/chromiumtest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/jointoken"
)

// TestTelephonyWithRealPhones runs the ACS Call Automation flows with real
// phones (baresip), a real browser (headless Chromium on the join page)
// and an app on the official JS SDK 1.6.0, all against one callrec node,
// in a loopback-only network namespace:
//
//   - quickstart: a baresip phone calls callrec's number playing a 440 Hz
//     WAV; the app answers the IncomingCall its Event Grid subscription
//     delivers, records the call by CallConnected's serverCallId (unmixed,
//     the phone on channel 0), pauses 2 s, resumes and hangs up for
//     everyone; the WAV has the tone on channel 0 from the start to the
//     hang-up less the pause, with no gap where the pause was.
//   - createCall with a browser: the app calls a baresip phone in
//     auto-answer (660 Hz); a browser (880 Hz) joins the same call; an
//     unmixed recording has each on its channel with its tone from when
//     it was in the call; listParticipants lists both.
//   - addParticipant: a second baresip phone is added
//     (AddParticipantSucceeded, ParticipantsUpdated with both); a callee
//     answering 486 gives AddParticipantFailed; the added phone hanging up
//     gives ParticipantsUpdated without it; the last phone hanging up ends
//     the call (CallDisconnected).
func TestTelephonyWithRealPhones(t *testing.T) {
	if !baresiptest.InLoopbackNamespace(t) {
		return
	}
	dir := requireNodeSDK(t)
	srv := testserver.Start(t, testserver.FastWebhooks(), testserver.WithConfig(func(c *app.Config) {
		c.SIPAddr, c.SIPRingTimeout = "127.0.0.1:0", 10*time.Second
	}))
	n := nodeOf(t, srv)
	t.Run("quickstart", func(t *testing.T) { testQuickstartWithBaresip(t, n, dir) })
	t.Run("createCall with a browser", func(t *testing.T) { testCreateCallWithBrowser(t, n, dir) })
	t.Run("addParticipant", func(t *testing.T) { testAddParticipant(t, n, dir) })
}

func testQuickstartWithBaresip(t *testing.T, n *node, dir string) {
	js := startJSApp(t, dir, "1.6.0", n.srv.ConnectionString)
	subscribe(t, n.srv, "quickstart", js.url+"/eventgrid",
		"Microsoft.Communication.IncomingCall", "Microsoft.Communication.RecordingFileStatusUpdated")

	const amp = 0.5
	wavPath := filepath.Join(t.TempDir(), "tone440.wav")
	if err := baresiptest.WriteWAV(wavPath, 440, amp, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	baresiptest.Start(t, baresiptest.Options{Number: "+14255550100", WAV: wavPath,
		Dial: "sip:+18005550100@" + n.sip.String()})
	answered := js.next(t, "answered")
	js.next(t, "connected")
	recID := js.next(t, "recording")["recordingId"].(string)
	paused, resumed := js.next(t, "paused"), js.next(t, "resumed")
	time.Sleep(2 * time.Second) // 2 s more of the tone after the resume
	hangup := time.Now()
	io.WriteString(js.stdin, "hangup\n")
	rep := js.next(t, "report")["report"].(map[string]any)

	serverCallID := answered["serverCallId"].(string)
	kinds := checkQuickstartReport(t, rep, serverCallID, recID)
	if kinds["IncomingCall"] != 1 || kinds["CallConnected"] != 1 || kinds["CallDisconnected"] != 1 {
		t.Errorf("events the app read: %v", kinds)
	}

	// By content: baresip sent its tone from before the recording started
	// until the hang-up, so channel 0 has it from the start to the hang-up
	// less the paused span, which is cut (no silence where it was).
	x, start, ids := n.downloaded(t, recID)
	pauseAt := at(start, time.UnixMilli(int64(paused["at"].(float64))))
	pause := time.UnixMilli(int64(resumed["at"].(float64))).Sub(time.UnixMilli(int64(paused["at"].(float64))))
	const tol = 300 * 16 // the pause's edges and the hang-up are timed by the apps' clocks, over HTTP
	first, last := audio.FirstAbove(x, 0.1), lastAbove(x, 0.1)
	want := at(start, hangup) - int(pause.Seconds()*16000)
	t.Logf("recording of %d samples: tone %d–%d; hang-up at %d less the %v pause = %d; paused at %d",
		len(x), first, last, at(start, hangup), pause, want, pauseAt)
	if first < 0 || first > tol {
		t.Errorf("tone starts at %d, want at the recording's start (the phone was talking)", first)
	}
	if last-want < -tol || last-want > tol {
		t.Errorf("tone ends at %d, want %d (%+d samples)", last, want, last-want)
	}
	if !slices.Equal(ids, []string{"4:+14255550100"}) {
		t.Errorf("metadata participants %v", ids)
	}
	// baresip's 48 → 8 kHz resampler renders the WAV's level about 1.3 dB
	// lower: allow 2 dB.
	level := audio.DBFS(amp / math.Sqrt2)
	checkToneOf(t, "the tone across the cut pause", x, pauseAt-8000, pauseAt+8000, 440, level, 2)
	checkToneOf(t, "the tone", x, first+1600, last-1600, 440, level, 2)
	if gap := longestQuiet(x[max(first, 0):last+1], 0.05); gap > 50*16 {
		t.Errorf("the tone stops for %d samples: want no gap (the pause is cut, not silenced)", gap)
	}
}

// checkToneOf checks that x[from:to] (16 kHz) holds a freq Hz tone at
// dBFS within tolDB.
func checkToneOf(t *testing.T, what string, x []int16, from, to int, freq, dBFS, tolDB float64) {
	t.Helper()
	if from < 0 || to > len(x) || from >= to {
		t.Errorf("%s: span %d–%d outside the recording (%d samples)", what, from, to, len(x))
		return
	}
	seg := x[from:to]
	candidates := []float64{freq}
	for _, c := range []float64{440, 660, 880, 1000} {
		if c != freq {
			candidates = append(candidates, c)
		}
	}
	f, ratio := audio.DetectTone(seg, 16000, candidates)
	level := audio.DBFS(audio.RMS(seg))
	t.Logf("%s: %v Hz (×%.0f over the next), %.2f dBFS over %d samples", what, f, ratio, level, to-from)
	if f != freq || ratio < 100 || math.Abs(level-dBFS) > tolDB {
		t.Errorf("%s: %v Hz (×%.0f over the next), %.2f dBFS; want %v Hz at %.2f±%.0f dBFS", what, f, ratio, level, freq, dBFS, tolDB)
	}
}

// longestQuiet returns the longest run of samples of x below threshold
// (of full scale) in a 5 ms moving peak: the longest gap in a tone.
func longestQuiet(x []int16, threshold float64) int {
	const win = 80
	longest, run := 0, 0
	for i := 0; i+win <= len(x); i += win {
		peak := 0.0
		for _, v := range x[i : i+win] {
			peak = max(peak, math.Abs(float64(v))/32768)
		}
		if peak < threshold {
			run += win
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// chromiumBinary returns chromium's path, or skips (fails with CI=true).
func chromiumBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	return p
}

// subscribe puts an Event Grid subscription of url to types and waits
// until it is validated; it is deleted when the test ends.
func subscribe(t *testing.T, srv *testserver.Server, name, url string, types ...string) {
	t.Helper()
	sub, _, err := srv.App.Subscriptions.Put(t.Context(), callrec.Subscription{Name: name, URL: url, Types: types})
	if err != nil || sub.State != callrec.SubscriptionValidated {
		t.Fatalf("subscription: %+v, %v", sub, err)
	}
	t.Cleanup(func() { _ = srv.App.Subscriptions.Delete(context.WithoutCancel(t.Context()), name) })
}

// sdkDriver is e2e/jssdk/call-driver.mjs running: an app on the official
// JS SDK that the test drives one operation at a time.
type sdkDriver struct {
	url     string
	stdin   io.WriteCloser
	replies chan map[string]any
	mu      sync.Mutex
	events  []map[string]any
	changed chan struct{}
}

func startDriver(t *testing.T, dir, version, connectionString string) *sdkDriver {
	t.Helper()
	stdin, lines := runNode(t, dir, []string{"CALLREC_CONNECTION_STRING=" + connectionString}, "call-driver.mjs", version)
	d := &sdkDriver{stdin: stdin, replies: make(chan map[string]any, 16), changed: make(chan struct{}, 1)}
	go func() { // ends when the script's stdout does
		defer close(d.replies)
		for m := range lines {
			if _, ok := m["event"]; !ok {
				d.replies <- m
				continue
			}
			d.mu.Lock()
			d.events = append(d.events, m)
			d.mu.Unlock()
			select {
			case d.changed <- struct{}{}:
			default:
			}
		}
	}()
	first := d.reply(t)
	d.url = first["url"].(string)
	return d
}

func (d *sdkDriver) reply(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m, ok := <-d.replies:
		if !ok {
			t.Fatal("the SDK driver exited")
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no reply from the SDK driver")
	}
	return nil
}

// do runs one SDK operation and returns its result; an SDK error fails
// the test.
func (d *sdkDriver) do(t *testing.T, cmd map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := d.stdin.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	r := d.reply(t)
	if r["error"] != nil {
		t.Fatalf("%v: %v", cmd, r["error"])
	}
	return r
}

// event waits up to 30 s for a callback event of kind (the SDK's name,
// e.g. CallConnected) that match accepts.
func (d *sdkDriver) event(t *testing.T, kind string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		d.mu.Lock()
		for _, ev := range d.events {
			if ev["event"] == kind && (match == nil || match(ev)) {
				d.mu.Unlock()
				return ev
			}
		}
		d.mu.Unlock()
		select {
		case <-d.changed:
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

// of matches events of one call connection.
func of(conn string) func(map[string]any) bool {
	return func(ev map[string]any) bool { return ev["callConnectionId"] == conn }
}

func testCreateCallWithBrowser(t *testing.T, n *node, dir string) {
	chromium := chromiumBinary(t)
	ctx := t.Context()
	app := startDriver(t, dir, "1.6.0", n.srv.ConnectionString)
	ph := baresiptest.AutoAnswer(t, "+14255550190", 660)
	const browser = "8:acs:browser-1"

	created := app.do(t, map[string]any{"op": "createCall", "target": ph.URI, "context": "op-create"})
	conn, callID := created["callConnectionId"].(string), created["serverCallId"].(string)
	app.event(t, "CallConnected", of(conn))
	n.waitParticipants(t, callID, []string{ph.URI})

	// Record from before the browser joins: the phone on channel 0, the
	// browser on channel 1.
	st, err := n.client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: "audio", RecordingChannel: "unmixed", RecordingFormat: "wav",
		ChannelAffinity: []callautomation.ChannelAffinity{
			callautomation.NewChannelAffinity(callautomation.IdentifierFromRawID(ph.URI), 0),
			callautomation.NewChannelAffinity(callautomation.IdentifierFromRawID(browser), 1),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the phone alone for a while

	tmp := t.TempDir()
	wavPath := filepath.Join(tmp, "tone880.wav")
	chromiumtest.WriteToneWAV(t, wavPath, 880, 0.5)
	key, err := hmacauth.DecodeKey(n.srv.App.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := jointoken.Mint(key, callID, browser, time.Hour, time.Now())
	pageURL := n.srv.URL + "/join?" + url.Values{"call": {callID}, "token": {token}, "autojoin": {"1"}, "raw": {"1"}, "video": {"0"}}.Encode()
	devtools := chromiumtest.Start(t, chromium, tmp, pageURL, "--use-file-for-fake-audio-capture="+wavPath)
	page := chromiumtest.OpenPage(t, devtools, "/join")
	deadline := time.Now().Add(45 * time.Second)
	for page.Eval(t, `document.body ? document.body.dataset.state : ""`) != "connected" {
		if time.Now().After(deadline) {
			t.Fatalf("the join page did not connect: %s", page.Eval(t, `document.getElementById("status").textContent`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	both := []string{ph.URI, browser}
	for !sameSet(n.srv.App.Hub.Participants(callID), both) {
		if time.Now().After(deadline) {
			t.Fatalf("participants %v, want %v", n.srv.App.Hub.Participants(callID), both)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // both in the call
	listed := toStrings(app.do(t, map[string]any{"op": "listParticipants", "conn": conn})["participants"])
	if !sameSet(listed, both) {
		t.Errorf("listParticipants %v, want %v", listed, both)
	}
	stopAt := time.Now()
	if err := n.client.CallRecording().Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	call, err := n.srv.App.Service.Call(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	app.do(t, map[string]any{"op": "hangUp", "conn": conn, "forEveryone": true})
	app.event(t, "CallDisconnected", of(conn))

	channels, start, ids := n.downloadedChannels(t, st.RecordingID)
	if !sameSet(ids, both) || len(channels) < 2 {
		t.Fatalf("metadata participants %v, %d channels", ids, len(channels))
	}
	var joined time.Time
	for _, p := range call.Participants {
		if p.RawID == browser {
			joined = p.JoinedAt
		}
	}
	phone, web := channels[0], channels[1]
	const tol = 1000 * 16 // the browser's audio follows its join by ICE and DTLS (0.36 s measured)
	pFirst, pLast := audio.FirstAbove(phone, 0.02), lastAbove(phone, 0.02)
	bFirst, bLast := audio.FirstAbove(web, 0.02), lastAbove(web, 0.02)
	t.Logf("recording of %d samples (stopped at %d): phone %d–%d, browser %d–%d (joined at %d)",
		len(phone), at(start, stopAt), pFirst, pLast, bFirst, bLast, at(start, joined))
	if pFirst < 0 || pFirst > tol || at(start, stopAt)-pLast > tol {
		t.Errorf("phone's tone %d–%d: want it from the start to the stop (%d)", pFirst, pLast, at(start, stopAt))
	}
	if d := bFirst - at(start, joined); bFirst < 0 || d < -tol || d > tol || at(start, stopAt)-bLast > tol {
		t.Errorf("browser's tone %d–%d: want it from its join (%d, %+d samples) to the stop (%d)", bFirst, bLast, at(start, joined), d, at(start, stopAt))
	}
	// Levels while both are in the call (before, Chromium's start-up may
	// starve a loaded host's media): baresip's sine as G.711 renders it
	// (about -10.5 dBFS), the browser's file at its own level.
	both0, both1 := bFirst+1600, min(pLast, bLast)-1600
	checkToneOf(t, "channel 0, the phone", phone, both0, both1, 660, -10.5, 2)
	checkToneOf(t, "channel 1, the browser", web, both0, both1, 880, audio.DBFS(0.5/math.Sqrt2), 2)
	checkToneOf(t, "channel 0 before the browser joined", phone, pFirst+1600, bFirst-1600, 660, -10.5, 6)
	checkSilent(t, "channel 1 before the browser joined", web, 0, max(bFirst-800, 1))
}

func testAddParticipant(t *testing.T, n *node, dir string) {
	ctx := t.Context()
	app := startDriver(t, dir, "1.6.0", n.srv.ConnectionString)
	first := baresiptest.AutoAnswer(t, "+14255550180", 660)
	second := baresiptest.AutoAnswer(t, "+14255550181", 880)
	busy := busyCallee(t, "+14255550182")

	created := app.do(t, map[string]any{"op": "createCall", "target": first.URI, "context": "op-create"})
	conn, callID := created["callConnectionId"].(string), created["serverCallId"].(string)
	app.event(t, "CallConnected", of(conn))
	n.waitParticipants(t, callID, []string{first.URI})

	added := app.do(t, map[string]any{"op": "addParticipant", "conn": conn, "target": second.URI, "context": "op-add"})
	ok := app.event(t, "AddParticipantSucceeded", of(conn))
	if ok["invitationId"] != added["invitationId"] || ok["participant"] != second.URI || ok["operationContext"] != "op-add" {
		t.Errorf("AddParticipantSucceeded %v, after addParticipant returned %v", ok, added)
	}
	both := []string{first.URI, second.URI}
	app.event(t, "ParticipantsUpdated", func(ev map[string]any) bool {
		return ev["callConnectionId"] == conn && sameSet(toStrings(ev["participants"]), both)
	})
	if got := toStrings(app.do(t, map[string]any{"op": "listParticipants", "conn": conn})["participants"]); !sameSet(got, both) {
		t.Errorf("listParticipants %v, want %v", got, both)
	}

	refused := app.do(t, map[string]any{"op": "addParticipant", "conn": conn, "target": busy, "context": "op-busy"})
	failed := app.event(t, "AddParticipantFailed", of(conn))
	t.Logf("AddParticipantFailed %v", failed)
	if failed["invitationId"] != refused["invitationId"] || failed["participant"] != busy || failed["code"] != float64(486) || failed["subCode"] != float64(8539) {
		t.Errorf("AddParticipantFailed %v, want code 486 (subCode 8539, ACS's busy) for %s", failed, busy)
	}

	// The added phone hangs up: ParticipantsUpdated without it.
	qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := second.Quit(qctx); err != nil {
		t.Fatalf("baresip did not quit: %v", err)
	}
	app.event(t, "ParticipantsUpdated", func(ev map[string]any) bool {
		return ev["callConnectionId"] == conn && slices.Equal(toStrings(ev["participants"]), []string{first.URI})
	})
	// The last phone hangs up: the call ends, CallDisconnected.
	if err := first.Quit(qctx); err != nil {
		t.Fatalf("baresip did not quit: %v", err)
	}
	dis := app.event(t, "CallDisconnected", of(conn))
	t.Logf("CallDisconnected %v", dis)
	if dis["code"] != float64(200) || dis["serverCallId"] != callID {
		t.Errorf("CallDisconnected %v", dis)
	}
	if call, err := n.srv.App.Service.Call(ctx, callID); err != nil || call.State != callrec.CallEnded {
		t.Errorf("the call after its last phone left: %+v, %v; want it ended", call, err)
	}
}

// busyCallee is a SIP UA at 127.0.0.1 that answers every INVITE 486 Busy
// Here; it returns its URI.
func busyCallee(t *testing.T, user string) string {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("busy-callee"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { srv.Close(); conn.Close(); ua.Close() })
	return "sip:" + user + "@" + conn.LocalAddr().String()
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
