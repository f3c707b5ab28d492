package recorder_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/blob"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/recorder"
)

// storeAndHub opens a blob store and a call media core for a test.
func storeAndHub(t *testing.T) (*blob.Bucket, *callmedia.Hub) {
	t.Helper()
	store, err := blob.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hub, err := callmedia.New(callmedia.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return store, hub
}

// hangup is a publisher's leg that leaves when hung up.
type hangup struct{ p *callmedia.Participant }

func (h *hangup) Disconnect(string) { h.p.Leave(0, 0) }

// Participants already in the call when an unmixed recording starts take
// channels in the order they joined the call, whoever speaks first: here
// the later joiner always speaks first, from its own goroutine, and before
// the fix it took channel 0 whenever its first frame won the race (3 of 11
// end-to-end trials). Each trial runs on a call of its own, through the
// real call media core, and is checked by the tones in the file.
func TestPresentParticipantsTakeChannelsInJoinOrder(t *testing.T) {
	const trials = 40
	store, hub := storeAndHub(t)
	eng, err := recorder.New(recorder.Config{DataDir: t.TempDir(), Blob: store, Media: hub})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	first, second := "8:acs:joined-first", "4:+14255550123"
	freq := map[string]float64{first: 440, second: 880}
	docs := make([]string, trials)
	var wg sync.WaitGroup
	for i := range trials {
		wg.Go(func() {
			callID := fmt.Sprintf("join-order-%d", i)
			var parts []*callmedia.Participant
			for _, id := range []string{first, second} {
				leg := &hangup{}
				p, err := hub.Attach(callID, id, leg, nil)
				if err != nil {
					t.Error(err)
					return
				}
				leg.p = p
				parts = append(parts, p)
			}
			defer hub.Hangup(t.Context(), callID)
			rec := &callrec.Recording{ID: callID, StartedAt: time.Now(), State: callrec.StateActive, Spec: callrec.RecordingSpec{
				ServerCallID: callID, Content: callrec.ContentAudio, Format: callrec.FormatWav, Channel: callrec.ChannelUnmixed}}
			if err := eng.Start(t.Context(), rec); err != nil {
				t.Error(err)
				return
			}
			// The later joiner speaks first; the first joiner a moment later.
			start := parts[0].Clock().Position(time.Now())
			for _, p := range []*callmedia.Participant{parts[1], parts[0]} {
				buf := make([]int16, callrec.FrameSamples)
				for f := range 25 {
					pos := start + int64(f)*callrec.FrameSamples
					for k := range buf {
						buf[k] = int16(8000 * math.Sin(2*math.Pi*freq[p.RawID()]*float64(pos+int64(k))/callrec.SampleRate))
					}
					p.Push(pos, buf)
				}
			}
			time.Sleep(700 * time.Millisecond) // the clock passes the frames
			chunks, err := eng.Stop(t.Context(), callID, "sessionEnded")
			if err != nil || len(chunks) != 1 {
				t.Errorf("trial %d: stop: %v, %d chunks", i, err, len(chunks))
				return
			}
			docs[i] = chunks[0].DocumentID
		})
	}
	wg.Wait()
	for i, doc := range docs {
		if doc != "" {
			checkJoinOrder(t, eng, i, doc, []string{first, second}, freq)
		}
	}
}

func checkJoinOrder(t *testing.T, eng *recorder.Engine, trial int, docID string, order []string, freq map[string]float64) {
	r := &rig{call: &call{t: t}, eng: eng}
	m := r.metadata(docID)
	channel := map[string]int{}
	for _, p := range m.Participants {
		if p.Channel != nil {
			channel[p.ParticipantID] = *p.Channel
		}
	}
	a := r.audio(docID)
	for want, id := range order {
		got, ok := channel[id]
		if !ok || got != want {
			t.Errorf("trial %d: %s (joined #%d) on channel %d (listed %v), want %d", trial, id, want+1, got, ok, want)
			continue
		}
		other := order[1-want]
		mine, _ := goertzel(a.Channels[want], freq[id])
		theirs, _ := goertzel(a.Channels[want], freq[other])
		// The test is about which channel each participant takes: on a
		// loaded host some of a trial's frames come after the commit grid
		// passed them (dropped as late), so the tone may be short, but it
		// must be there and alone.
		if mine < 0.01 || theirs > mine/100 {
			t.Errorf("trial %d: channel %d has %s's %.0f Hz at %.3f and %s's %.0f Hz at %.3f", trial, want, id, freq[id], mine, other, freq[other], theirs)
		}
	}
}
