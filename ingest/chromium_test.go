package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/internal/chromiumtest"
)

// netnsEnv marks the copy of the test binary that runs inside a
// loopback-only network namespace.
const netnsEnv = "CALLREC_TEST_IN_NETNS"

// TestChromiumJoinPage: headless Chromium opens the join page with a fake
// microphone playing a 660 Hz file and a fake camera, joins over WHIP, and
// the server decodes that tone at the file's level and gets the camera's
// VP8 pictures, which ffmpeg decodes; the page shows the call, the
// participant, the camera's preview and a moving level meter, and its
// Leave button leaves the call.
//
// The browser and the server run in a fresh network namespace that has only
// lo (`unshare -n`), so nothing leaves 127.0.0.1 and ICE sees one interface.
func TestChromiumJoinPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		skipOutsideCI(t, "chromium is not installed (apt-get install chromium)")
	}
	if os.Getenv(netnsEnv) != "1" {
		runInLoopbackNamespace(t)
		return
	}
	if err := bringLoopbackUp(); err != nil {
		t.Fatalf("bringing lo up in the namespace: %v", err)
	}
	h := startHarness(t)
	callID := h.createCall(t)
	rec := subscribeVideo(t, h.hub, callID)
	const rawID = "8:acs:callrec_browser"

	dir := t.TempDir()
	wavPath := filepath.Join(dir, "tone660.wav")
	chromiumtest.WriteToneWAV(t, wavPath, 660, 0.5)
	pageURL := h.url + "/join?" + url.Values{
		"call": {callID}, "token": {h.token(callID, rawID)}, "autojoin": {"1"}, "raw": {"1"},
	}.Encode()
	browser := startChromium(t, chromium, dir, wavPath, pageURL)

	page := browser.page(t, "/join")
	defer func() {
		if t.Failed() {
			t.Logf("page status: %s", page.Eval(t, `document.getElementById("status").textContent`))
		}
	}()
	waitFor(t, 45*time.Second, "the page to connect", func() bool {
		return page.Eval(t, `document.body ? document.body.dataset.state : ""`) == "connected"
	})
	waitFor(t, 15*time.Second, "3 s of the browser's audio", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.frames[rawID]) >= 150
	})
	shown := page.Eval(t, `JSON.stringify({call: document.getElementById("call").textContent,
		participant: document.getElementById("participant").textContent,
		level: document.getElementById("level").value})`)
	var view struct {
		Call, Participant string
		Level             float64
	}
	if err := json.Unmarshal([]byte(shown), &view); err != nil {
		t.Fatalf("page view %q: %v", shown, err)
	}
	if view.Call != callID || view.Participant != rawID || view.Level < 0.1 {
		t.Errorf("the page shows %+v, want call %s, participant %s and a level", view, callID, rawID)
	}

	_, pcm := rec.track(t, rawID)
	checkTone(t, rawID, pcm, 660)
	last := pcm[len(pcm)-callrec.SampleRate:]
	want := 0.5 / math.Sqrt2
	t.Logf("browser audio: %d frames, last second %.2f dBFS (file %.2f dBFS), page level meter %.2f",
		len(pcm)/callrec.FrameSamples, audio.DBFS(audio.RMS(last)), audio.DBFS(want), view.Level)
	if d := audio.DBFS(audio.RMS(last)) - audio.DBFS(want); math.Abs(d) > 2 {
		t.Errorf("received level is %.1f dB off the file's", d)
	}

	checkBrowserVideo(t, rec, rawID)
	if shown := page.Eval(t, `String(!document.getElementById("preview").hidden)`); shown != "true" {
		t.Errorf("the page does not show the camera's preview")
	}

	checkRecordingIndicator(t, h, page, callID)

	page.Eval(t, `document.getElementById("leave").click(), "ok"`)
	waitFor(t, 10*time.Second, "the leave", func() bool {
		k := rec.eventKinds(rawID)
		return len(k) > 0 && k[len(k)-1] == callrec.ParticipantLeft
	})
	waitFor(t, 5*time.Second, "the page to show it left", func() bool {
		return page.Eval(t, `document.body.dataset.state`) == "left"
	})
	call, err := h.node.App.Service.Call(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(call.Participants) != 1 || call.Participants[0].RawID != rawID || call.Participants[0].LeftAt == nil {
		t.Errorf("participants after Leave: %+v", call.Participants)
	}

	// Join again, then end the call: the server hangs the browser up and
	// the page says the call ended, at once (WebRTC alone would take
	// seconds to notice), and offers no rejoin.
	page.Eval(t, `document.getElementById("join").click(), "ok"`)
	waitFor(t, 15*time.Second, "the page to connect again", func() bool {
		return page.Eval(t, `document.body.dataset.state`) == "connected"
	})
	ended := time.Now()
	if err := h.node.App.Service.EndCall(t.Context(), callID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the page to show the call ended", func() bool {
		return page.Eval(t, `document.body.dataset.state`) == "ended"
	})
	t.Logf("the page showed the end of the call %v after the call ended", time.Since(ended).Round(time.Millisecond))
	if got := page.Eval(t, `document.getElementById("status").textContent + "|" + document.getElementById("join").disabled`); got != "The call has ended|true" {
		t.Errorf("page after the call ended: %q", got)
	}
}

// checkRecordingIndicator records the call the page is in, pauses and
// stops the recording: the page shows each state within its status polls.
func checkRecordingIndicator(t *testing.T, h *harness, page *chromiumtest.Page, callID string) {
	t.Helper()
	shows := func(recording string, hidden bool, text string) func() bool {
		return func() bool {
			got := page.Eval(t, `document.body.dataset.recording + "|" + document.getElementById("recording").hidden + "|" +
				document.getElementById("recording").textContent`)
			return got == fmt.Sprintf("%s|%v|%s", recording, hidden, text)
		}
	}
	waitFor(t, 10*time.Second, "the page to show no recording", shows("none", true, ""))
	rec, err := h.node.App.Service.StartRecording(t.Context(), callrec.StartRecording{Spec: callrec.RecordingSpec{
		ServerCallID: callID, Content: callrec.ContentAudio, Channel: callrec.ChannelMixed, Format: callrec.FormatWav}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the page to show the recording", shows("active", false, "This call is being recorded"))
	if err := h.node.App.Service.PauseRecording(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the page to show the pause", shows("inactive", false, "Recording paused"))
	if err := h.node.App.Service.StopRecording(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the page to show the recording stopped", shows("none", true, ""))
}

func skipOutsideCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// runInLoopbackNamespace re-runs this test in a new network namespace with
// only lo up, and reports its outcome.
func runInLoopbackNamespace(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		skipOutsideCI(t, "unshare (util-linux) is not installed")
	}
	args := []string{"-n", os.Args[0], "-test.run", "^" + t.Name() + "$", "-test.v", "-test.count=1", "-test.timeout=5m"}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside the loopback-only namespace:\n%s", out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
			t.Fatal("the namespaced run did not report a pass")
		}
	case errors.As(err, &exit) && strings.Contains(string(out), "unshare failed"):
		skipOutsideCI(t, "cannot create a network namespace here (needs root)")
	default:
		t.Fatalf("namespaced run: %v", err)
	}
}

// bringLoopbackUp sets lo up, as `ip link set lo up` does, without needing
// iproute2: a new network namespace starts with lo down.
func bringLoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

type chromiumProcess struct {
	devtools string // http://127.0.0.1:PORT
}

// startChromium launches headless Chromium on pageURL with a fake
// microphone playing wavPath (Chromium loops it) and a fake camera.
func startChromium(t *testing.T, chromium, dir, wavPath, pageURL string) *chromiumProcess {
	t.Helper()
	return &chromiumProcess{devtools: chromiumtest.Start(t, chromium, dir, pageURL, "--use-file-for-fake-audio-capture="+wavPath)}
}

// page connects to the first page whose URL contains urlPart.
func (c *chromiumProcess) page(t *testing.T, urlPart string) *chromiumtest.Page {
	return chromiumtest.OpenPage(t, c.devtools, urlPart)
}

// checkBrowserVideo waits for two seconds of a browser's camera in the hub:
// VP8 pictures from a keyframe on, in order on the call clock, all decoded
// by ffmpeg without an error.
func checkBrowserVideo(t *testing.T, rec *videoCapture, rawID string) {
	t.Helper()
	waitFor(t, 20*time.Second, "2 s of the browser's camera", func() bool {
		f := rec.pictures(rawID)
		return len(f) > 1 && f[len(f)-1].Pos-f[0].Pos >= 2*callrec.SampleRate
	})
	frames := rec.pictures(rawID)
	keyframes := 0
	for i, f := range frames {
		if f.Codec != callrec.VideoVP8 {
			t.Fatalf("picture %d is %s, want VP8 (the answer prefers it)", i, f.Codec)
		}
		if i > 0 && f.Pos < frames[i-1].Pos {
			t.Fatalf("picture %d at %d goes back from %d", i, f.Pos, frames[i-1].Pos)
		}
		if f.Keyframe {
			keyframes++
		}
	}
	pics := decodeVP8(t, frames)
	span := time.Duration(frames[len(frames)-1].Pos-frames[0].Pos) * time.Second / callrec.SampleRate
	t.Logf("browser video: %d pictures (%d keyframes) over %v of call clock, %.1f fps, %d decoded", len(frames), keyframes, span,
		float64(len(frames)-1)/span.Seconds(), len(pics))
	if len(pics) != len(frames) {
		t.Errorf("ffmpeg decoded %d of %d pictures", len(pics), len(frames))
	}
	if fps := float64(len(frames)-1) / span.Seconds(); fps < 5 || fps > 31 {
		t.Errorf("%.1f pictures a second of call clock, want the camera's rate (15 asked)", fps)
	}
}
