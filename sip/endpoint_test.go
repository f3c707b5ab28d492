package sip_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/testserver"
)

// node is a callrec node with SIP on a free loopback port.
type node struct {
	srv    *testserver.Server
	client *callautomation.Client
	sip    netip.AddrPort
}

func startNode(t *testing.T) *node {
	t.Helper()
	return nodeOf(t, testserver.Start(t, testserver.WithConfig(func(c *app.Config) { c.SIPAddr = "127.0.0.1:0"; c.SIPRingTimeout = time.Second })))
}

// nodeOf is a running node with SIP and a Go SDK client of it.
func nodeOf(t *testing.T, srv *testserver.Server) *node {
	t.Helper()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &node{srv: srv, client: client, sip: srv.App.SIP.Addr()}
}

func (n *node) createCall(t *testing.T) string {
	t.Helper()
	call, err := n.client.Calls().Create(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	return call.ServerCallID
}

// startRecording starts an unmixed WAV recording of callID.
func (n *node) startRecording(t *testing.T, callID string) string {
	t.Helper()
	st, err := n.client.CallRecording().Start(t.Context(), callautomation.StartRecordingOptions{
		CallLocator:      callautomation.ServerCallLocator{ID: callID},
		RecordingContent: "audio", RecordingChannel: "unmixed", RecordingFormat: "wav",
	})
	if err != nil {
		t.Fatal(err)
	}
	return st.RecordingID
}

// waitParticipants polls until callID's participants are want.
func (n *node) waitParticipants(t *testing.T, callID string, want []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		got = n.srv.App.Hub.Participants(callID)
		if slices.Equal(got, want) || (len(got) == 0 && len(want) == 0) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("participants %v, want %v", got, want)
}

// recorded stops the recording and returns its one chunk's first channel
// (16 kHz), the chunk's start time and its metadata's participants.
func (n *node) recorded(t *testing.T, recordingID string) ([]int16, time.Time, []string) {
	t.Helper()
	if err := n.client.CallRecording().Stop(t.Context(), recordingID); err != nil {
		t.Fatal(err)
	}
	return n.downloaded(t, recordingID)
}

// downloaded returns a stopped recording's one chunk's first channel, the
// chunk's start time and its metadata's participants.
func (n *node) downloaded(t *testing.T, recordingID string) ([]int16, time.Time, []string) {
	t.Helper()
	channels, start, ids := n.downloadedChannels(t, recordingID)
	return channels[0], start, ids
}

// downloadedChannels is downloaded with every channel of the chunk.
func (n *node) downloadedChannels(t *testing.T, recordingID string) ([][]int16, time.Time, []string) {
	t.Helper()
	ctx := t.Context()
	rec := n.client.CallRecording()
	res, err := rec.Result(ctx, recordingID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RecordingStorageInfo.RecordingChunks) != 1 {
		t.Fatalf("chunks %+v", res.RecordingStorageInfo.RecordingChunks)
	}
	chunk := res.RecordingStorageInfo.RecordingChunks[0]
	var content, meta bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.DownloadTo(ctx, chunk.MetadataLocation, &meta); err != nil {
		t.Fatal(err)
	}
	var md struct {
		ChunkStartTime string `json:"chunkStartTime"`
		Participants   []struct {
			ParticipantID string `json:"participantId"`
		} `json:"participants"`
	}
	if err := json.Unmarshal(meta.Bytes(), &md); err != nil {
		t.Fatal(err)
	}
	start, err := time.Parse(time.RFC3339Nano, md.ChunkStartTime)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range md.Participants {
		ids = append(ids, p.ParticipantID)
	}
	a, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if a.Format.SampleRate != 16000 {
		t.Fatalf("sample rate %d", a.Format.SampleRate)
	}
	return a.Channels, start, ids
}

// at returns the sample of x at wall time w, for a recording started at start.
func at(start, w time.Time) int { return int(w.Sub(start).Seconds() * 16000) }

// checkTone checks that x[from:to] holds a 440 Hz tone at amp.
func checkTone(t *testing.T, what string, x []int16, from, to int, amp float64) {
	t.Helper()
	if from < 0 || to > len(x) || from >= to {
		t.Errorf("%s: span %d–%d outside the recording (%d samples)", what, from, to, len(x))
		return
	}
	seg := x[from:to]
	f, ratio := audio.DetectTone(seg, 16000, []float64{440, 880, 220, 1000})
	level, want := audio.DBFS(audio.RMS(seg)), audio.DBFS(amp/math.Sqrt2)
	if f != 440 || ratio < 100 || math.Abs(level-want) > 1 {
		t.Errorf("%s: %v Hz (×%.0f over the next), %.2f dBFS; want 440 Hz at %.2f dBFS", what, f, ratio, level, want)
	}
}

func checkSilent(t *testing.T, what string, x []int16, from, to int) {
	t.Helper()
	if from < 0 || to > len(x) || from >= to {
		t.Errorf("%s: span %d–%d outside the recording (%d samples)", what, from, to, len(x))
		return
	}
	if rms := audio.RMS(x[from:to]); rms > 1e-3 {
		t.Errorf("%s: not silent (%.1f dBFS)", what, audio.DBFS(rms))
	}
}

// TestPhoneCallIsRecorded: a phone (sipgo UAC + RTP) calls into a call,
// sends 2 s of a 440 Hz tone in each codec and hangs up; the recording has
// the tone where it was sent, at its level, on the phone's channel.
func TestPhoneCallIsRecorded(t *testing.T) {
	n := startNode(t)
	for _, tc := range []struct{ codec, formats, transport string }{
		{"PCMU", "0 8 9 101", "udp"},
		{"PCMA", "8 0 101", "tcp"},
		{"G722", "9 0 101", "udp"},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			ctx := t.Context()
			callID := n.createCall(t)
			recID := n.startRecording(t, callID)
			ph := newPhone(t, n.sip, "+14255550100")
			s, code, answer := ph.call(ctx, callID, tc.transport, ph.offer(tc.formats, "sendrecv"))
			if code != 200 {
				t.Fatalf("INVITE answered %d", code)
			}
			to, formats, dir := media(t, answer)
			if dir != "recvonly" || formats[0] != map[string]string{"PCMU": "0", "PCMA": "8", "G722": "9"}[tc.codec] {
				t.Fatalf("answer %s", answer)
			}
			n.waitParticipants(t, callID, []string{"4:+14255550100"})
			const amp = 0.5
			snd := newSender(ph.rtp, to, tc.codec)
			begin := snd.tone(440, amp, 2*time.Second)
			end := begin.Add(2 * time.Second)
			if err := s.Bye(ctx); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			n.waitParticipants(t, callID, nil)
			x, start, ids := n.recorded(t, recID)
			checkPhoneTone(t, x, start, ids, begin, end, amp)
		})
	}
}

// checkPhoneTone checks a recording of the phone 4:+14255550100 alone
// (ids, its metadata's participants): x holds its 440 Hz tone at amp from
// when it was sent (begin) to end, within 60 ms (loopback, a loaded
// machine), for a chunk that started at start.
func checkPhoneTone(t *testing.T, x []int16, start time.Time, ids []string, begin, end time.Time, amp float64) {
	t.Helper()
	if !slices.Equal(ids, []string{"4:+14255550100"}) {
		t.Errorf("metadata participants %v", ids)
	}
	const tol = 60 * 16
	first, last := audio.FirstAbove(x, 0.1), lastAbove(x, 0.1)
	if d := first - at(start, begin); d < -tol || d > tol {
		t.Errorf("tone starts at %d, sent at %d (%+d samples)", first, at(start, begin), d)
	}
	if d := last - at(start, end); d < -tol || d > tol {
		t.Errorf("tone ends at %d, sent until %d (%+d samples)", last, at(start, end), d)
	}
	t.Logf("tone sent at %d–%d, recorded at %d–%d (samples from the chunk's start)", at(start, begin), at(start, end), first, last)
	checkTone(t, "tone", x, first+1600, last-1600, amp)
}

func lastAbove(x []int16, threshold float64) int {
	for i := len(x) - 1; i >= 0; i-- {
		if math.Abs(float64(x[i]))/32768 >= threshold {
			return i
		}
	}
	return -1
}
