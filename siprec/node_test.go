package siprec_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/testserver"
)

// node is a callrec node with SIP (and so SIPREC) on a free loopback port.
type node struct {
	srv    *testserver.Server
	client *callautomation.Client
	sip    string // 127.0.0.1:port
}

func startNode(t *testing.T, opts ...testserver.Option) *node {
	t.Helper()
	opts = append([]testserver.Option{testserver.WithConfig(func(c *app.Config) { c.SIPAddr = "127.0.0.1:0" })}, opts...)
	srv := testserver.Start(t, opts...)
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &node{srv: srv, client: client, sip: srv.App.SIP.Addr().String()}
}

// sippPath returns sipp's path; it skips the test without sipp, or fails
// in CI.
func sippPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp is required in CI: %v", err)
		}
		t.Skip("sipp not installed (apt-get install sip-tester)")
	}
	return p
}

// freeUDPPort returns an even UDP port free on 127.0.0.1 now, with the
// next few free too (sipp's media ports).
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		ok := true
		for i := range 8 {
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + i})
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok && p+8 < 65535 {
			return p
		}
	}
	t.Fatal("no free UDP ports")
	return 0
}

// runSipp plays scenario (a file of testdata/sipp, with each key of subst
// replaced) against the node; sipp exits 0 when the scenario completed.
func (n *node) runSipp(t *testing.T, scenario string, subst map[string]string) {
	t.Helper()
	sipp := sippPath(t)
	text, err := os.ReadFile(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	for k, v := range subst {
		s = strings.ReplaceAll(s, k, v)
	}
	dir := t.TempDir()
	sc := filepath.Join(dir, scenario)
	if err := os.WriteFile(sc, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), sipp, "-sf", sc, "-s", "srs", "-m", "1",
		"-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)),
		"-timeout", "60s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"), n.sip)
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp: %v\n%s\n%s", err, out, errs)
	}
}

// call waits until the call is in state and returns it, as the call API
// lists it.
func (n *node) call(t *testing.T, callID string, state callrec.CallState) *callrec.Call {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for c, err := range n.client.Calls().List(callautomation.ListCallsOptions{}).All(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			if c.ServerCallID == callID && c.State == state {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s not listed %s", callID, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordings lists the call's recordings.
func (n *node) recordings(t *testing.T, callID string) []callautomation.RecordingSummary {
	t.Helper()
	var out []callautomation.RecordingSummary
	for r, err := range n.client.CallRecording().List(callautomation.ListRecordingsOptions{ServerCallID: callID}).All(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// chunkMetadata is what the tests read of a chunk's metadata document.
type chunkMetadata struct {
	ChunkStartTime string `json:"chunkStartTime"`
	Participants   []struct {
		ParticipantID string `json:"participantId"`
		Channel       *int   `json:"channel"`
	} `json:"participants"`
	Callrec json.RawMessage `json:"callrec"`
}

// download waits until the recording is stopped with its files, and
// returns each chunk's audio (16 kHz, by channel) and metadata.
func (n *node) download(t *testing.T, recordingID string) ([][][]int16, []chunkMetadata) {
	t.Helper()
	ctx := t.Context()
	rec := n.client.CallRecording()
	deadline := time.Now().Add(30 * time.Second)
	var res *callautomation.RecordingResult
	for {
		var err error
		res, err = rec.Result(ctx, recordingID)
		if err == nil && res.SessionEndReason != "" && res.SessionEndReason != "sessionStillOngoing" && len(res.RecordingStorageInfo.RecordingChunks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording %s not stopped with files: %+v %v", recordingID, res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var audios [][][]int16
	var metas []chunkMetadata
	for _, chunk := range res.RecordingStorageInfo.RecordingChunks {
		var content, meta bytes.Buffer
		if _, err := rec.DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
			t.Fatal(err)
		}
		if _, err := rec.DownloadTo(ctx, chunk.MetadataLocation, &meta); err != nil {
			t.Fatal(err)
		}
		var md chunkMetadata
		if err := json.Unmarshal(meta.Bytes(), &md); err != nil {
			t.Fatal(err)
		}
		a, err := wav.Read(bytes.NewReader(content.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if a.Format.SampleRate != 16000 {
			t.Fatalf("sample rate %d", a.Format.SampleRate)
		}
		audios = append(audios, a.Channels)
		metas = append(metas, md)
	}
	return audios, metas
}

// channelOf returns the channel of participant in md, or -1.
func channelOf(md chunkMetadata, participant string) int {
	for _, p := range md.Participants {
		if p.ParticipantID == participant && p.Channel != nil {
			return *p.Channel
		}
	}
	return -1
}

// spans returns the spans of x (in samples) where 20 ms windows are above
// -30 dBFS, merging gaps shorter than 100 ms.
func spans(x []int16) [][2]int {
	const win = 320
	var out [][2]int
	for i := 0; i+win <= len(x); i += win {
		if audio.DBFS(audio.RMS(x[i:i+win])) < -30 {
			continue
		}
		if k := len(out) - 1; k >= 0 && i-out[k][1] < 1600 {
			out[k][1] = i + win
		} else {
			out = append(out, [2]int{i, i + win})
		}
	}
	return out
}

// checkTone checks that x[from:to] holds freq (among candidates) at amp.
func checkTone(t *testing.T, what string, x []int16, from, to int, freq, amp float64) {
	t.Helper()
	if from < 0 || to > len(x) || from >= to {
		t.Errorf("%s: span %d–%d outside the recording (%d samples)", what, from, to, len(x))
		return
	}
	seg := x[from:to]
	f, ratio := audio.DetectTone(seg, 16000, []float64{440, 1000, 1500, 700})
	level, want := audio.DBFS(audio.RMS(seg)), audio.DBFS(amp/math.Sqrt2)
	if f != freq || ratio < 50 || math.Abs(level-want) > 1 {
		t.Errorf("%s: %v Hz (×%.0f over the next), %.2f dBFS; want %v Hz at %.2f dBFS", what, f, ratio, level, freq, want)
	}
}
