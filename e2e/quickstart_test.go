package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/container/wav"
)

// The README's quickstart lies between these markers; every ```sh and ```js
// block in between is part of it, in order.
const (
	quickstartBegin = "<!-- quickstart:begin"
	quickstartEnd   = "<!-- quickstart:end -->"
)

// quickstartBlock is one fenced code block of the quickstart.
type quickstartBlock struct {
	lang string // "sh" or "js"
	text string
}

// readQuickstart extracts the quickstart's code blocks from README.md.
func readQuickstart(t *testing.T) []quickstartBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin := strings.Index(readme, quickstartBegin)
	end := strings.Index(readme, quickstartEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no %q … %q section", quickstartBegin, quickstartEnd)
	}
	var blocks []quickstartBlock
	var cur *quickstartBlock
	for _, line := range strings.SplitAfter(readme[begin:end], "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			lang := strings.TrimPrefix(trimmed, "```")
			if lang != "sh" && lang != "js" {
				t.Fatalf("README quickstart has a ```%s block; only sh and js blocks can be run", lang)
			}
			cur = &quickstartBlock{lang: lang}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line
		}
	}
	if cur != nil {
		t.Fatal("README quickstart: a code block is not closed")
	}
	return blocks
}

// jsFileName is the file a js block says it is, on its first line
// ("// record.mjs").
var jsFileName = regexp.MustCompile(`^// ([\w.-]+\.m?js)\n`)

// npmInstall is the quickstart's SDK install line.
var npmInstall = regexp.MustCompile(`(?m)^npm install @azure/communication-call-automation@([\d.]+)$`)

// installedSDKVersion is the version of the official SDK in e2e/jssdk.
func installedSDKVersion(t *testing.T, jsSDK string) string {
	t.Helper()
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(jsSDK, "node_modules", "@azure", "communication-call-automation", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, b, &pkg)
	return pkg.Version
}

// quickstartScript turns the blocks into one bash script. Only what cannot
// run here as written is replaced, each replacement required to apply:
//   - `go build -o callrec ./cmd/callrec` links the binary the tests built
//     from this tree instead (the script runs in a temporary directory);
//   - https://app.example, the reader's own endpoint, is a local receiver;
//   - `npm install` of the SDK links e2e/jssdk/node_modules, which holds the
//     same version (the tests have no registry);
//   - a js block becomes a heredoc that writes the file it names.
//
// When the JS SDK cannot run here (jsSDK empty), the script stops before the
// first block that needs it.
func quickstartScript(t *testing.T, blocks []quickstartBlock, binary, receiverURL, jsSDK string) string {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -euxo pipefail\n")
	built, installed := false, false
	for i, b := range blocks {
		text := b.text
		if b.lang == "js" || strings.Contains(text, "npm install") || strings.Contains(text, "node ") {
			if jsSDK == "" {
				t.Logf("quickstart: blocks %d and after need node and the JS SDK; not run", i)
				break
			}
		}
		switch b.lang {
		case "js":
			m := jsFileName.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("README quickstart: js block %d does not begin with a `// NAME.mjs` line:\n%s", i, text)
			}
			fmt.Fprintf(&script, "cat > %s <<'QUICKSTART_JS'\n%sQUICKSTART_JS\n", m[1], text)
		case "sh":
			if s, ok := strings.CutPrefix(text, "go build -o callrec ./cmd/callrec\n"); ok {
				text, built = fmt.Sprintf("ln -s %q callrec\n", binary)+s, true
			}
			if m := npmInstall.FindStringSubmatch(text); m != nil {
				if got := installedSDKVersion(t, jsSDK); got != m[1] {
					t.Fatalf("README quickstart installs SDK %s; e2e/jssdk has %s", m[1], got)
				}
				text, installed = strings.Replace(text, m[0], fmt.Sprintf("ln -s %q node_modules", filepath.Join(jsSDK, "node_modules")), 1), true
			}
			text = strings.ReplaceAll(text, "https://app.example", receiverURL)
			script.WriteString(text)
		}
	}
	if !built {
		t.Fatal("README quickstart does not begin with `go build -o callrec ./cmd/callrec`")
	}
	if jsSDK != "" && !installed {
		t.Fatal("README quickstart: no `npm install @azure/communication-call-automation@VERSION` line found")
	}
	// Hand the test what it checks.
	script.WriteString("echo \"QUICKSTART REC=$REC\"\n")
	return script.String()
}

// TestQuickstartAsWritten runs the README's quickstart, extracted from
// README.md, against a freshly built binary in a temporary directory: the
// server, the event subscription and tail, a call with two simulated
// participants, a ten-second unmixed recording with a pause, the list and
// the download by recording id, and the official JS SDK module. It then checks the downloaded file by
// content (each participant's tone on its channel), its metadata, and that
// the events reached the endpoints the quickstart names.
func TestQuickstartAsWritten(t *testing.T) {
	blocks := readQuickstart(t)
	bin := callrecBinary(t)
	receiver := startCallbackReceiver(t, nil)
	jsSDK := quickstartJSSDK(t)
	script := quickstartScript(t, blocks, bin, receiver.URL, jsSDK)

	dir := t.TempDir()
	stdoutPath, stderrPath := filepath.Join(dir, "quickstart.stdout"), filepath.Join(dir, "quickstart.stderr")
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	// The README's server listens on 127.0.0.1:8080 and takes SIP on
	// 127.0.0.1:5060; tests share the machine, so this one listens on a free
	// port and without SIP, set the way any serve setting can be (the
	// README's configuration section).
	cmd.Env = append(childEnv(), "CALLREC_ADDR="+freeAddr(t), "CALLREC_SIP_ADDR=")
	// Files, not pipes: the script leaves serve, events tail and simulate
	// running in the background, and they keep its output open.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so that the background jobs end with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopGroup(cmd.Process.Pid) })
	runErr := cmd.Wait()
	out, _ := os.ReadFile(stdoutPath)
	if runErr != nil {
		t.Fatalf("the README quickstart failed: %v\nscript:\n%s\nstdout:\n%s\nstderr (commands and their errors):\n%s\nserve's log:\n%s",
			runErr, script, out, tailFile(stderrPath, 80), tailFile(filepath.Join(dir, "serve.out"), 20))
	}
	t.Logf("quickstart stdout:\n%s", out)

	m := regexp.MustCompile(`(?m)^QUICKSTART REC=(\S+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the quickstart printed no recording id")
	}
	rec := string(m[1])

	// `recording state` printed inactive while paused, active, then stopped.
	if !regexp.MustCompile(`(?ms)^inactive$.*^active$.*^stopped$`).Match(out) {
		t.Errorf("recording state did not print inactive, active, then stopped; stdout:\n%s", out)
	}
	// `recording list --call` listed the recording.
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(rec) + `\s.*\sstopped\s`).Match(out) {
		t.Errorf("recording list printed no line for %s; stdout:\n%s", rec, out)
	}
	// `recording download REC -o recordings` wrote the chunk and its metadata.
	wavs, _ := filepath.Glob(filepath.Join(dir, "recordings", "chunk-0-*.wav"))
	metas, _ := filepath.Glob(filepath.Join(dir, "recordings", "chunk-0-*.metadata.json"))
	if len(wavs) != 1 || len(metas) != 1 {
		t.Fatalf("recordings/ holds %q and %q; want one chunk-0 WAV and its metadata", wavs, metas)
	}
	checkQuickstartRecording(t, wavs[0])
	checkQuickstartMetadata(t, metas[0], wavs[0])

	// The endpoints the quickstart names got the recording's events: the
	// state callbacks and, through the subscription, the files.
	receiver.WaitForStates(t, rec, time.Minute, "active", "inactive", "active", "inactive")
	files := receiver.WaitForFileStatus(t, rec, time.Minute)
	if n := len(files.Data.RecordingStorageInfo.RecordingChunks); n != 1 {
		t.Errorf("RecordingFileStatusUpdated lists %d chunks, want 1", n)
	}

	// events tail, started before the recording, printed its events.
	deadline := time.Now().Add(time.Minute)
	for {
		out, _ = os.ReadFile(stdoutPath)
		if bytes.Contains(out, []byte(`"Callrec.Recording.Stopped"`)) && bytes.Contains(out, []byte(rec)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events tail printed no Callrec.Recording.Stopped for %s; stdout:\n%s", rec, out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	if jsSDK != "" && !bytes.Contains(out, []byte("recordingState: 'active'")) {
		t.Errorf("record.mjs printed no active state; stdout:\n%s", out)
	}
}

// quickstartJSSDK returns e2e/jssdk when node and the installed SDK are
// there. Without them the CLI part still runs and the JS part does not,
// except in CI (CI=true), where they must be there.
func quickstartJSSDK(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("jssdk")
	if err != nil {
		t.Fatal(err)
	}
	_, noNode := exec.LookPath("node")
	_, noSDK := os.Stat(filepath.Join(dir, "node_modules", "@azure", "communication-call-automation", "package.json"))
	switch {
	case noNode == nil && noSDK == nil:
		return dir
	case os.Getenv("CI") == "true":
		t.Fatalf("CI=true but the quickstart's JS part cannot run: node: %v; SDK: %v", noNode, noSDK)
	}
	t.Logf("the quickstart's JS part is not run: node: %v; SDK (npm ci in e2e/jssdk): %v", noNode, noSDK)
	return ""
}

// checkQuickstartRecording checks the downloaded file: 16 kHz, five
// channels, at least the ten seconds the quickstart records (more when its
// commands are slow), the agent's 440 Hz on channel 0 and the phone
// participant's 660 Hz on channel 1, measured in the two seconds after each
// channel's audio begins (participants join a moment after the start), and
// silence on the other channels.
func checkQuickstartRecording(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the quickstart's download: %v", err)
	}
	defer f.Close()
	a, err := wav.Read(f)
	if err != nil {
		t.Fatalf("%s is not a valid WAV: %v", path, err)
	}
	if a.SampleRate != 16000 || len(a.Channels) != 5 {
		t.Fatalf("%s: %d Hz, %d channels; want 16000 Hz, 5 channels", path, a.SampleRate, len(a.Channels))
	}
	n := len(a.Channels[0])
	seconds := float64(n) / float64(a.SampleRate)
	t.Logf("%s: %.2f s, %d channels", filepath.Base(path), seconds, len(a.Channels))
	if seconds < 9 || seconds > 60 {
		t.Fatalf("%s holds %.2f s; the quickstart records about 10 s", path, seconds)
	}
	for ch, want := range map[int]float64{0: 440, 1: 660} {
		x := a.Channels[ch]
		first := audio.FirstAbove(x, 0.05)
		from, to := first+a.SampleRate/2, first+5*a.SampleRate/2
		if first < 0 || to > n {
			t.Errorf("channel %d has no two seconds of audio (first sample above -26 dBFS at %d of %d)", ch, first, n)
			continue
		}
		part := x[from:to]
		f, ratio := audio.DetectTone(part, a.SampleRate, audio.CommonTones)
		level := audio.DBFS(audio.RMS(part))
		t.Logf("channel %d: audio from %.2f s; %v Hz (ratio %.0f), %.1f dBFS", ch, float64(first)/float64(a.SampleRate), f, ratio, level)
		if f != want || ratio < 100 {
			t.Errorf("channel %d holds %v Hz (ratio %.0f, %.1f dBFS), want %v Hz", ch, f, ratio, level, want)
		}
	}
	for ch := 2; ch < len(a.Channels); ch++ {
		if p := audio.Peak(a.Channels[ch]); p != 0 {
			t.Errorf("channel %d has audio (peak %v); only two participants spoke", ch, p)
		}
	}
}

// checkQuickstartMetadata checks the downloaded metadata document: the
// channel of each participant the quickstart pinned or ordered, the pause,
// and the sha256 of the downloaded WAV.
func checkQuickstartMetadata(t *testing.T, metaPath, wavPath string) {
	t.Helper()
	b, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		PauseResumeIntervals []struct {
			Duration float64 `json:"duration"`
		} `json:"pauseResumeIntervals"`
		Participants []struct {
			ParticipantID string `json:"participantId"`
			Channel       *int   `json:"channel"`
		} `json:"participants"`
		SHA256 string `json:"sha256"`
	}
	decodeJSON(t, b, &meta)
	channels := map[string]int{}
	for _, p := range meta.Participants {
		if p.Channel != nil {
			channels[p.ParticipantID] = *p.Channel
		}
	}
	if c, ok := channels["8:acs:agent-1"]; !ok || c != 0 {
		t.Errorf("metadata puts 8:acs:agent-1 on channel %d (listed %v), want 0: %s", c, ok, b)
	}
	if c, ok := channels["4:+14255550123"]; !ok || c != 1 {
		t.Errorf("metadata puts 4:+14255550123 on channel %d (listed %v), want 1: %s", c, ok, b)
	}
	if len(meta.PauseResumeIntervals) != 1 || meta.PauseResumeIntervals[0].Duration <= 0 {
		t.Errorf("metadata lists pauses %+v, want the quickstart's one pause", meta.PauseResumeIntervals)
	}
	w, err := os.ReadFile(wavPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(w); got != meta.SHA256 {
		t.Errorf("the downloaded WAV's sha256 is %s; its metadata says %s", got, meta.SHA256)
	}
}

// stopGroup ends the quickstart's process group (the shell's background
// jobs): SIGTERM, then SIGKILL to whatever is left a few seconds later.
func stopGroup(pgid int) {
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return
	}
	for range 50 {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}
