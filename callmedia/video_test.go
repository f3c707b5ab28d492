package callmedia_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
)

// videoLeg is a leg that carries video: it counts keyframe requests.
type videoLeg struct {
	leg
	requests atomic.Int64
}

func (l *videoLeg) RequestKeyframe() { l.requests.Add(1) }

func attachVideo(t *testing.T, h *callmedia.Hub, callID, rawID string) (*callmedia.Participant, *videoLeg) {
	t.Helper()
	l := &videoLeg{}
	p, err := h.Attach(callID, rawID, l, nil)
	if err != nil {
		t.Fatalf("attach %s: %v", rawID, err)
	}
	l.leg.p = p
	return p, l
}

// videoRecorder is a subscriber that keeps audio, events and video.
type videoRecorder struct {
	recorder
	vmu   sync.Mutex
	video []callrec.VideoFrame
}

func (r *videoRecorder) OnVideoFrame(f callrec.VideoFrame) {
	r.vmu.Lock()
	defer r.vmu.Unlock()
	f.Data = slices.Clone(f.Data)
	r.video = append(r.video, f)
}

func (r *videoRecorder) positions() []int64 {
	r.vmu.Lock()
	defer r.vmu.Unlock()
	var out []int64
	for _, f := range r.video {
		out = append(out, f.Pos)
	}
	return out
}

func vp8(pos int64, key bool) callrec.VideoFrame {
	return callrec.VideoFrame{Pos: pos, Codec: callrec.VideoVP8, Keyframe: key, Data: []byte{byte(pos)}}
}

func TestVideoSubscriberStartsEachParticipantAtAKeyframe(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	p, l := attachVideo(t, h, "call", "8:acs:cam")
	v := &videoRecorder{}
	sub := h.Subscribe("call", v)
	defer sub.Cancel()
	if got := l.requests.Load(); got != 1 {
		t.Fatalf("subscribing asked for %d keyframes, want 1 from the present participant", got)
	}
	p.PushVideo(vp8(100, false)) // a delta frame: the subscriber has no keyframe yet
	if got := l.requests.Load(); got != 2 {
		t.Errorf("a delta frame for a subscriber without a keyframe asked for %d keyframes in all, want 2", got)
	}
	p.PushVideo(vp8(200, true))
	p.PushVideo(vp8(300, false))
	p.PushVideo(vp8(400, false))
	if got, want := v.positions(), []int64{200, 300, 400}; !slices.Equal(got, want) {
		t.Fatalf("video at %v, want %v (from the keyframe on)", got, want)
	}
	if l.requests.Load() != 2 {
		t.Errorf("frames after the keyframe asked for more keyframes: %d", l.requests.Load())
	}
	f := v.video[0]
	if f.Participant != "8:acs:cam" || f.Codec != callrec.VideoVP8 || !f.Keyframe || f.Data[0] != 200 {
		t.Errorf("first frame %+v", f)
	}

	// A second subscriber mid-stream waits for the next keyframe; the
	// first one goes on.
	v2 := &videoRecorder{}
	defer h.Subscribe("call", v2).Cancel()
	p.PushVideo(vp8(500, false))
	p.PushVideo(vp8(600, true))
	if got, want := v2.positions(), []int64{600}; !slices.Equal(got, want) {
		t.Errorf("late subscriber's video at %v, want %v", got, want)
	}
	if got, want := v.positions(), []int64{200, 300, 400, 500, 600}; !slices.Equal(got, want) {
		t.Errorf("first subscriber's video at %v, want %v", got, want)
	}

	// The subscription asks for a keyframe of a named participant.
	before := l.requests.Load()
	sub.RequestKeyframe("8:acs:cam")
	sub.RequestKeyframe("8:acs:nobody")
	if l.requests.Load() != before+1 {
		t.Errorf("RequestKeyframe reached the leg %d times, want once", l.requests.Load()-before)
	}
}

func TestAudioSubscribersAndAudioLegsIgnoreVideo(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	p, _ := attach(t, h, "call", "8:acs:phone") // a leg without video
	a := &recorder{}
	sub := h.Subscribe("call", a)
	defer sub.Cancel()
	if sub.RequestKeyframe != nil {
		t.Error("an audio-only subscription has RequestKeyframe")
	}
	v := &videoRecorder{}
	vsub := h.Subscribe("call", v) // asks the audio leg for nothing, and does not fail
	defer vsub.Cancel()
	vsub.RequestKeyframe("8:acs:phone")
	p.PushVideo(vp8(0, true))
	if len(v.positions()) != 1 {
		t.Errorf("video subscriber got %v", v.positions())
	}
	if len(a.frames) != 0 {
		t.Errorf("audio subscriber got %d audio frames from a video push", len(a.frames))
	}
}

func TestVideoFramesComeBetweenJoinAndLeave(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	v := &videoRecorder{}
	defer h.Subscribe("call", v).Cancel()
	p, _ := attachVideo(t, h, "call", "8:acs:cam")
	p.PushVideo(vp8(10, true))
	p.Push(0, make([]int16, callrec.FrameSamples))
	p.PushVideo(vp8(20, false))
	p.Leave(320, 320)
	if got := v.kinds(); !slices.Equal(got, []string{"joined 8:acs:cam", "left 8:acs:cam"}) {
		t.Errorf("events %v", got)
	}
	if got := v.positions(); !slices.Equal(got, []int64{10, 20}) {
		t.Errorf("video %v", got)
	}
}

func TestPushVideoAllocatesNothing(t *testing.T) {
	h := newHub(t, callmedia.Config{})
	p, _ := attachVideo(t, h, "call", "8:acs:cam")
	sub := h.Subscribe("call", videoDiscard{})
	defer sub.Cancel()
	p.PushVideo(vp8(0, true))
	data := make([]byte, 1200)
	pos := int64(0)
	if n := testing.AllocsPerRun(1000, func() {
		pos += 1000
		p.PushVideo(callrec.VideoFrame{Pos: pos, Codec: callrec.VideoVP8, Data: data})
	}); n != 0 {
		t.Errorf("PushVideo allocates %v times per frame", n)
	}
}

type videoDiscard struct{ discard }

func (videoDiscard) OnVideoFrame(callrec.VideoFrame) {}
