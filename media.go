package callrec

import "time"

// Decoded audio format shared by ingest and recorder (ACS records 16 kHz,
// 16-bit PCM): mono frames of 20 ms.
const (
	SampleRate   = 16000
	FrameSamples = SampleRate / 50 // 320 samples = 20 ms
)

// Frame is 20 ms of one participant's decoded audio, placed on the call
// clock. Pos is the index of its first sample counted at SampleRate from the
// call clock's epoch; consecutive frames of a participant have consecutive
// positions (Pos+FrameSamples), with concealment or silence filling losses.
// Samples is only valid during the callback that delivers it.
type Frame struct {
	Participant string
	Pos         int64
	Samples     []int16
}

// ParticipantEventKind says what happened to a participant's media.
type ParticipantEventKind string

// Participant media events.
const (
	ParticipantJoined  ParticipantEventKind = "joined"
	ParticipantLeft    ParticipantEventKind = "left"
	ParticipantMuted   ParticipantEventKind = "muted"
	ParticipantUnmuted ParticipantEventKind = "unmuted"
)

// ParticipantEvent is a join, leave or mute, at a call-clock position.
type ParticipantEvent struct {
	Kind        ParticipantEventKind
	Participant string
	Pos         int64
	At          time.Time
	// DisplayName is the participant's display name, on a join, when its
	// leg has one (the join page's name, a WHIP or SIP display name).
	DisplayName string
}

// MediaSubscriber receives one call's decoded media. Calls come from the
// participants' pipeline goroutines, possibly concurrently; implementations
// must be safe for that and must not block.
type MediaSubscriber interface {
	OnFrame(f Frame)
	OnParticipantEvent(e ParticipantEvent)
}

// MediaSource gives access to the live media of calls (the call media
// core, package callmedia).
type MediaSource interface {
	// Subscribe delivers the call's media to s until the subscription is
	// cancelled.
	Subscribe(callID string, s MediaSubscriber) MediaSubscription
}

// MediaSubscription is the answer to MediaSource.Subscribe.
type MediaSubscription struct {
	// Pos is the call clock's position now, where a recording that starts
	// now begins; At is the wall time it stands for (zero if the source
	// does not say), so that a subscriber maps wall times to positions
	// without the delay between the subscription and its own clock reading.
	Pos int64
	At  time.Time
	// Present lists the participants in the call now, in the order they
	// joined. Events about them from before the subscription are not
	// delivered; later ones are.
	Present []string
	// DisplayNames are the display names of the present participants that
	// have one, by raw id.
	DisplayNames map[string]string
	// Cancel ends the subscription; later calls do nothing.
	Cancel func()
	// RequestKeyframe, when not nil, asks a participant's sender for a
	// keyframe of its video (a decoder lost its way); the source coalesces
	// requests. A VideoSubscriber needs it only after a decode error: its
	// first frame of each participant is a keyframe already.
	RequestKeyframe func(participant string)
}
