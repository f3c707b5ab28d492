package callmedia

import "github.com/callrec/callrec"

// KeyframeRequester is implemented by a Leg that carries video: it asks the
// participant's sender for a keyframe (WebRTC: RTCP PLI or FIR). It may be
// called from any goroutine, often; the leg coalesces and paces requests
// and must not block.
type KeyframeRequester interface {
	RequestKeyframe()
}

// PushVideo delivers one whole encoded picture of the participant's video
// to the call's video subscribers (callrec.VideoFrame's rules; the
// publisher sets every field but Participant, and never pushes a frame
// before Floor). The publisher delivers only frames that decode given the
// ones it delivered before them, dropping the rest until a keyframe after
// a loss, and asks its sender for that keyframe itself.
//
// Each subscriber's first frame of the participant is a keyframe: until a
// subscriber has had one, the participant's other frames skip it, and the
// sender is asked for a keyframe. f.Data is only read during the call. In
// steady state it takes no lock and allocates nothing.
func (p *Participant) PushVideo(f callrec.VideoFrame) {
	f.Participant = p.rawID
	subs := *p.call.subs.Load()
	waiting, video := false, 0
	for _, s := range subs {
		if s.video == nil {
			continue
		}
		video++
		if _, ok := p.keyed[s.id]; !ok {
			if !f.Keyframe {
				waiting = true
				continue
			}
			if p.keyed == nil {
				p.keyed = map[uint64]struct{}{}
			}
			p.keyed[s.id] = struct{}{}
		}
		s.video.OnVideoFrame(f)
	}
	if len(p.keyed) > video {
		p.forgetCancelled(subs)
	}
	if waiting {
		p.RequestKeyframe()
	}
}

// forgetCancelled drops the keyframe state of cancelled subscriptions.
func (p *Participant) forgetCancelled(subs []subscription) {
	live := make(map[uint64]struct{}, len(subs))
	for _, s := range subs {
		live[s.id] = struct{}{}
	}
	for id := range p.keyed {
		if _, ok := live[id]; !ok {
			delete(p.keyed, id)
		}
	}
}

// RequestKeyframe asks the participant's sender for a keyframe, if its leg
// carries video (KeyframeRequester). It may be called from anywhere.
func (p *Participant) RequestKeyframe() {
	if k, ok := p.leg.(KeyframeRequester); ok {
		k.RequestKeyframe()
	}
}
