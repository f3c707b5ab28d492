package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/mp3/mp3test"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/recorder"
	"github.com/callrec/callrec/simulate"
)

// speaker is one simulated participant of the acceptance call.
type speaker struct {
	raw      string
	freq     float64
	joinAt   time.Duration // after the recording starts
	duration time.Duration
	result   simulate.Result
}

// scenario runs the acceptance call of recording: three participants with
// distinct tones joining at different times, one leaving early, a 2 s pause,
// and a stop. It returns the recording's result and the speakers with what
// each really sent and when, and the pause as the client saw it: when each
// request was sent and when its answer came.
type scenario struct {
	server            *testserver.Server
	client            *callautomation.Client
	callID            string
	speakers          []*speaker
	pauseAt, paused   time.Time
	resumeAt, resumed time.Time
	result            *callautomation.RecordingResult
	// drops is what the recorder dropped before the stop.
	drops recorder.Stats
}

const (
	pauseAfter  = 2600 * time.Millisecond
	pauseLength = 2 * time.Second
	stopAfter   = 6200 * time.Millisecond
)

// scenarioAttempts bounds how often runScenarioInBudget runs the call.
const scenarioAttempts = 3

// runScenarioInBudget runs the scenario until the recorder has received
// every frame within its lateness (the media budget). Frames that come
// later are dropped by design, which leaves gaps that say nothing about
// the code under test but that the host was too loaded (seen: a -race
// process starved of CPU for over 300 ms on a 2-core machine at load 15).
// The checks that follow stay strict; a recorder that drops frames in
// every run fails.
func runScenarioInBudget(t *testing.T, opts callautomation.StartRecordingOptions) *scenario {
	t.Helper()
	for attempt := 1; ; attempt++ {
		sc := runScenario(t, opts)
		d := sc.drops
		if d.LateSamples == 0 && d.QueueDropped == 0 {
			return sc
		}
		if attempt == scenarioAttempts {
			t.Fatalf("the recorder dropped frames in all %d runs of the call, the last time %+v", attempt, d)
		}
		t.Logf("run %d: the recorder dropped %d late samples and %d queued frames (the host broke the media budget); running the call again",
			attempt, d.LateSamples, d.QueueDropped)
	}
}

func runScenario(t *testing.T, opts callautomation.StartRecordingOptions) *scenario {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sc := &scenario{server: testserver.Start(t)}
	var err error
	sc.client, err = callautomation.NewCallAutomationClient(sc.server.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	call, err := sc.client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sc.callID = call.ServerCallID
	sc.speakers = []*speaker{
		{raw: "8:acs:alice", freq: 440, joinAt: 200 * time.Millisecond, duration: 5500 * time.Millisecond},
		{raw: "8:acs:bob", freq: 660, joinAt: 800 * time.Millisecond, duration: 1200 * time.Millisecond}, // leaves early
		{raw: "4:+14255550123", freq: 880, joinAt: 1400 * time.Millisecond, duration: 4300 * time.Millisecond},
	}
	opts.CallLocator = callautomation.ServerCallLocator{ID: sc.callID}
	rec := sc.client.CallRecording()
	st, err := rec.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	se := simulate.LoopbackSettingEngine()
	var wg sync.WaitGroup
	errs := make(chan error, len(sc.speakers))
	for _, sp := range sc.speakers {
		wg.Go(func() {
			time.Sleep(time.Until(begin.Add(sp.joinAt)))
			res, err := simulate.Join(ctx, simulate.Options{
				ConnectionString: sc.server.ConnectionString,
				CallID:           sc.callID,
				Participant:      sp.raw,
				Source:           "tone:" + formatHz(sp.freq),
				Duration:         sp.duration,
				SettingEngine:    se,
			})
			sp.result = res
			if err != nil {
				errs <- err
			}
		})
	}
	time.Sleep(time.Until(begin.Add(pauseAfter)))
	sc.pauseAt = time.Now()
	if err := rec.Pause(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	sc.paused = time.Now()
	time.Sleep(time.Until(sc.pauseAt.Add(pauseLength)))
	sc.resumeAt = time.Now()
	if err := rec.Resume(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	sc.resumed = time.Now()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(time.Until(begin.Add(stopAfter)))
	// What the recorder dropped so far: frames that came later than its
	// lateness, or that its owner could not queue.
	if err := sc.server.App.Engine.Flush(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if sc.drops, err = sc.server.App.Engine.Stats(st.RecordingID); err != nil {
		t.Fatal(err)
	}
	for _, sp := range sc.speakers {
		t.Logf("%s: sent %d packets, packet 0 %s after it was due, the latest %s late",
			sp.raw, sp.result.Sent, sp.result.FirstSent.Sub(sp.result.Started).Round(time.Microsecond), sp.result.MaxLate.Round(time.Microsecond))
	}
	if err := rec.Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	sc.result, err = rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sc.result.RecordingStorageInfo.RecordingChunks); n != 1 {
		t.Fatalf("%d chunks, want 1: %+v", n, sc.result)
	}
	return sc
}

func formatHz(f float64) string {
	return string(rune('0'+int(f)/100)) + string(rune('0'+int(f)/10%10)) + "0"
}

// download fetches a chunk's content and metadata with the Go SDK and checks
// the metadata's sha256 against the bytes.
func (sc *scenario) download(t *testing.T) (*wav.Audio, metadata, []byte) {
	t.Helper()
	ctx := context.Background()
	chunk := sc.result.RecordingStorageInfo.RecordingChunks[0]
	rec := sc.client.CallRecording()
	var content, meta bytes.Buffer
	stream, err := rec.OpenContent(ctx, chunk.ContentLocation, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = content.ReadFrom(stream)
	stream.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.DownloadTo(ctx, chunk.MetadataLocation, &meta); err != nil {
		t.Fatal(err)
	}
	var md metadata
	if err := json.Unmarshal(meta.Bytes(), &md); err != nil {
		t.Fatalf("metadata %s: %v", meta.Bytes(), err)
	}
	sum := sha256.Sum256(content.Bytes())
	if md.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("metadata sha256 %s, content hashes to %x", md.SHA256, sum)
	}
	var a *wav.Audio
	if md.RecordingInfo.Format == "mp3" {
		if stream.ContentType != "audio/mpeg" {
			t.Errorf("mp3 served as %q", stream.ContentType)
		}
		pcm := mp3test.Decode(t, content.Bytes())
		a = &wav.Audio{Info: wav.Info{Format: wav.Format{SampleRate: 16000, Channels: 1}, DataBytes: int64(2 * len(pcm))},
			Channels: [][]int16{pcm}}
	} else if a, err = wav.Read(bytes.NewReader(content.Bytes())); err != nil {
		t.Fatal(err)
	}
	if a.Format.SampleRate != 16000 {
		t.Errorf("sample rate %d", a.Format.SampleRate)
	}
	return a, md, content.Bytes()
}

type metadata struct {
	CallID               string `json:"callId"`
	ChunkDocumentID      string `json:"chunkDocumentId"`
	ChunkIndex           int    `json:"chunkIndex"`
	ChunkStartTime       string `json:"chunkStartTime"`
	ChunkDuration        float64
	PauseResumeIntervals []struct {
		StartTime string  `json:"startTime"`
		Duration  float64 `json:"duration"`
	} `json:"pauseResumeIntervals"`
	RecordingInfo struct {
		ContentType        string `json:"contentType"`
		ChannelType        string `json:"channelType"`
		Format             string `json:"format"`
		AudioConfiguration struct {
			SampleRate int `json:"sampleRate"`
			Channels   int `json:"channels"`
		} `json:"audioConfiguration"`
	} `json:"recordingInfo"`
	Participants []struct {
		ParticipantID string `json:"participantId"`
		Channel       *int   `json:"channel"`
	} `json:"participants"`
	SHA256 string `json:"sha256"`
}

// timeline maps wall times to sample positions of a recording whose pause
// span is cut.
type timeline struct {
	start         time.Time
	pause, resume time.Time
}

func (tl timeline) pos(t time.Time) float64 {
	d := t.Sub(tl.start)
	if t.After(tl.resume) {
		d -= tl.resume.Sub(tl.pause)
	} else if t.After(tl.pause) {
		d = tl.pause.Sub(tl.start)
	}
	return d.Seconds() * 16000
}

func (sc *scenario) timeline(t *testing.T, md metadata) timeline {
	start, err := time.Parse(time.RFC3339Nano, md.ChunkStartTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.PauseResumeIntervals) != 1 {
		t.Fatalf("pauseResumeIntervals %+v, want one", md.PauseResumeIntervals)
	}
	p := md.PauseResumeIntervals[0]
	pauseStart, err := time.Parse(time.RFC3339Nano, p.StartTime)
	if err != nil {
		t.Fatal(err)
	}
	pauseEnd := pauseStart.Add(time.Duration(p.Duration * float64(time.Millisecond)))
	// The server pauses while it handles the request: after the client
	// sent it, before the answer came, however long a loaded machine takes
	// (metadata times are rounded to 100 ns).
	const rounding = time.Microsecond
	if pauseStart.Before(sc.pauseAt.Add(-rounding)) || pauseStart.After(sc.paused) {
		t.Errorf("pause recorded at %v, requested at %v, answered at %v", pauseStart, sc.pauseAt, sc.paused)
	}
	if pauseEnd.Before(sc.resumeAt.Add(-rounding)) || pauseEnd.After(sc.resumed.Add(rounding)) {
		t.Errorf("resume recorded at %v, requested at %v, answered at %v", pauseEnd, sc.resumeAt, sc.resumed)
	}
	return timeline{start: start, pause: pauseStart, resume: pauseEnd}
}

// span is where a speaker's audio may lie in the recording, on its
// timeline: the server places a stream where its packets really arrived,
// which is when packet 0 was due (Started) if the sender kept time, and at
// most when packet 0 was really written (FirstSent); later packets are
// mapped at most MaxLate after they were due.
type span struct{ firstMin, firstMax, lastMin, lastMax float64 }

func (sp *speaker) span(tl timeline) span {
	r := sp.result
	return span{
		firstMin: tl.pos(r.Started), firstMax: tl.pos(r.FirstSent),
		lastMin: tl.pos(r.Started.Add(sp.duration)), lastMax: tl.pos(r.Started.Add(sp.duration + r.MaxLate)),
	}
}

// checkChannel verifies one speaker's audio in x: tone, level, and where it
// starts and ends, within 20 ms (320 samples) of where its packets were
// really sent.
func checkChannel(t *testing.T, name string, x []int16, sp *speaker, tl timeline) {
	t.Helper()
	const tol = 320
	first := audio.FirstAbove(x, 0.05)
	last := lastAbove(x, 0.05)
	want := sp.span(tl)
	if want.lastMax-want.firstMin < tol {
		// A loaded machine took so long to connect that the speaker sent
		// only while the recording was paused: the cut leaves nothing.
		if first >= 0 {
			t.Errorf("%s: sent only during the pause, heard at sample %d (%.0f ms)", name, first, float64(first)/16)
		}
		return
	}
	if first < 0 {
		t.Errorf("%s: silent", name)
		return
	}
	if float64(first) < want.firstMin-tol || float64(first) > want.firstMax+tol {
		t.Errorf("%s: starts at sample %d (%.0f ms), want %.0f–%.0f ms (packet 0 due, really sent) ± 20 ms",
			name, first, float64(first)/16, want.firstMin/16, want.firstMax/16)
	}
	if float64(last) < want.lastMin-tol || float64(last) > want.lastMax+tol {
		t.Errorf("%s: ends at sample %d (%.0f ms), want %.0f–%.0f ms (%d packets from when packet 0 was due, the sender up to %s late) ± 20 ms",
			name, last, float64(last)/16, want.lastMin/16, want.lastMax/16, sp.result.Sent, sp.result.MaxLate.Round(time.Millisecond))
	}
	mid := x[first+(last-first)/4 : first+3*(last-first)/4]
	freq, ratio := detectTone(mid)
	if freq != sp.freq || ratio < 100 {
		t.Errorf("%s: tone %v Hz (ratio %.0f), want %v Hz", name, freq, ratio, sp.freq)
	}
	if db := audio.DBFS(audio.RMS(mid)); math.Abs(db-audio.DBFS(simulate.ToneAmplitude/math.Sqrt2)) > 2 {
		t.Errorf("%s: level %.1f dBFS, want %.1f", name, db, audio.DBFS(simulate.ToneAmplitude/math.Sqrt2))
	}
	// No gap inside the speaker's span: every 20 ms window carries the tone.
	var gaps []int
	for i := first; i+320 <= last; i += 320 {
		if audio.RMS(x[i:i+320]) < 0.1 {
			gaps = append(gaps, i/16)
		}
	}
	if len(gaps) > 0 {
		t.Errorf("%s: %d gaps (20 ms windows below -20 dBFS) at ms %v", name, len(gaps), gaps)
	}
}

// windowedPower is the mean Goertzel power of freq over 100 ms windows. A
// cut pause joins two stretches of a tone at arbitrary phases; one long
// Goertzel window would let them cancel, short windows do not.
func windowedPower(x []int16, freq float64) float64 {
	const w = 1600
	var sum float64
	n := 0
	for i := 0; i+w <= len(x); i += w {
		sum += audio.TonePower(x[i:i+w], 16000, freq)
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// detectTone returns the strongest of audio.CommonTones by windowed power,
// and how many times stronger it is than the runner-up.
func detectTone(x []int16) (freq, ratio float64) {
	best, second := -1.0, 0.0
	for _, f := range audio.CommonTones {
		p := windowedPower(x, f)
		switch {
		case p > best:
			second, best, freq = math.Max(best, 0), p, f
		case p > second:
			second = p
		}
	}
	return freq, best / second
}

func lastAbove(x []int16, threshold float64) int {
	for i := len(x) - 1; i >= 0; i-- {
		if math.Abs(float64(x[i])/32768) >= threshold {
			return i + 1
		}
	}
	return -1
}

func TestRecordingUnmixedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("real WebRTC call")
	}
	ch0 := 0
	sc := runScenarioInBudget(t, callautomation.StartRecordingOptions{
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelUnmixed,
		RecordingFormat:  callautomation.RecordingFormatWav,
		ChannelAffinity: []callautomation.ChannelAffinity{
			{Channel: &ch0, Participant: callautomation.CommunicationUserIdentifier{ID: "8:acs:bob"}},
		},
	})
	a, md, _ := sc.download(t)
	tl := sc.timeline(t, md)
	if md.RecordingInfo.ChannelType != "unmixed" || md.RecordingInfo.Format != "wav" || md.RecordingInfo.AudioConfiguration.SampleRate != 16000 {
		t.Errorf("recordingInfo %+v", md.RecordingInfo)
	}
	channelOf := map[string]int{}
	for _, p := range md.Participants {
		if p.Channel == nil {
			t.Errorf("participant %s has no channel", p.ParticipantID)
			continue
		}
		channelOf[p.ParticipantID] = *p.Channel
	}
	// bob is pinned to 0; alice joined first of the rest, then the phone user.
	want := map[string]int{"8:acs:bob": 0, "8:acs:alice": 1, "4:+14255550123": 2}
	for id, ch := range want {
		if got, ok := channelOf[id]; !ok || got != ch {
			t.Errorf("participant %s on channel %d (present %v), want %d", id, got, ok, ch)
		}
	}
	if len(a.Channels) < 3 {
		t.Fatalf("%d channels", len(a.Channels))
	}
	for _, sp := range sc.speakers {
		checkChannel(t, sp.raw, a.Channels[want[sp.raw]], sp, tl)
	}
	// Cut pause: the file is the recording's wall span minus the pause.
	stopSpan := tl.pos(tl.start.Add(time.Duration(md.ChunkDuration*float64(time.Millisecond)) + tl.resume.Sub(tl.pause)))
	if math.Abs(float64(len(a.Channels[0]))-stopSpan) > 320 {
		t.Errorf("file has %d samples, chunkDuration says %.0f", len(a.Channels[0]), stopSpan)
	}

	// Delete, then 404.
	rec := sc.client.CallRecording()
	chunk := sc.result.RecordingStorageInfo.RecordingChunks[0]
	if err := rec.Delete(context.Background(), chunk.DeleteLocation); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{chunk.ContentLocation, chunk.MetadataLocation} {
		_, err := rec.DownloadTo(context.Background(), u, &bytes.Buffer{})
		var re *callautomation.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 404 {
			t.Errorf("download after delete: %v", err)
		}
	}
}

func TestRecordingMixedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("real WebRTC call")
	}
	for _, format := range []callautomation.RecordingFormat{callautomation.RecordingFormatWav, callautomation.RecordingFormatMp3} {
		t.Run(string(format), func(t *testing.T) { recordMixed(t, format) })
	}
}

// recordMixed runs the acceptance call recorded mixed in format and checks
// the file by content.
func recordMixed(t *testing.T, format callautomation.RecordingFormat) {
	sc := runScenarioInBudget(t, callautomation.StartRecordingOptions{
		RecordingContent: callautomation.RecordingContentAudio,
		RecordingChannel: callautomation.RecordingChannelMixed,
		RecordingFormat:  format,
	})
	a, md, _ := sc.download(t)
	if md.RecordingInfo.Format != string(format) {
		t.Errorf("recordingInfo.format %q, want %q", md.RecordingInfo.Format, format)
	}
	// The file holds exactly the chunk's duration (an MP3's Info tag drops
	// the encoder delay and padding).
	if want := int64(math.Round(md.ChunkDuration * 16)); a.Frames() != want {
		t.Errorf("%d samples, metadata says %.3f ms = %d", a.Frames(), md.ChunkDuration, want)
	}
	tl := sc.timeline(t, md)
	if len(a.Channels) != 1 {
		t.Fatalf("%d channels, want 1", len(a.Channels))
	}
	x := a.Channels[0]
	// Each tone is strong inside its speaker's span and absent outside it.
	for _, sp := range sc.speakers {
		want := sp.span(tl)
		from := int(want.firstMax) + 800
		to := int(want.lastMin) - 800
		if to-from < 1600 {
			t.Logf("%s: less than 100 ms of its span is outside the pause; not checked", sp.raw)
			continue
		}
		in := windowedPower(x[from:to], sp.freq)
		if in < 0.01 {
			t.Errorf("%s: %v Hz power %.4f inside its span", sp.raw, sp.freq, in)
		}
		if after := int(want.lastMax) + 800; after+8000 < len(x) {
			if out := windowedPower(x[after:after+8000], sp.freq); out > in/1000 {
				t.Errorf("%s: %v Hz still present after leaving (%.6f vs %.4f)", sp.raw, sp.freq, out, in)
			}
		}
	}
	if audio.Peak(x) > 1.0 {
		t.Errorf("peak %.2f", audio.Peak(x))
	}
}
