package siprec

import "time"

// Block is the SIPREC part of a recording's callrec extension block: in
// its chunks' metadata documents (callrec.siprec) and in its
// RecordingFileStatusUpdated event's data.
type Block struct {
	SIPREC BlockSession `json:"siprec"`
}

// BlockSession describes the recording session and what its metadata said.
type BlockSession struct {
	SessionID    string             `json:"sessionId"` // the communication session
	SIPCallID    string             `json:"sipCallId"` // the recording session's dialog
	Dialect      string             `json:"dialect"`
	DataMode     string             `json:"dataMode"`
	StartTime    time.Time          `json:"startTime"`
	StopTime     *time.Time         `json:"stopTime,omitempty"`
	Sessions     []Session          `json:"sessions,omitempty"`
	Participants []BlockParticipant `json:"participants"`
	Streams      []BlockStream      `json:"streams"`
}

// BlockParticipant is a participant of the metadata with its callrec rawId.
type BlockParticipant struct {
	ID     string `json:"id"`
	RawID  string `json:"rawId"`
	Name   string `json:"name,omitempty"`
	AOR    string `json:"aor,omitempty"`
	Left   bool   `json:"left,omitempty"`
	LeftAt string `json:"leftAt,omitempty"`
}

// BlockStream is a recorded stream: its label, its metadata id and the
// rawId of the participant recorded from it.
type BlockStream struct {
	Label       string `json:"label"`
	StreamID    string `json:"streamId,omitempty"`
	Participant string `json:"participant"`
	Codec       string `json:"codec"`
	SRTP        bool   `json:"srtp,omitempty"`
}

// block returns the session's block now.
func (rs *session) block() Block {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	b := BlockSession{SessionID: rs.csID, SIPCallID: rs.sipCallID, Dialect: rs.meta.Dialect,
		DataMode: rs.meta.DataMode, StartTime: rs.started.UTC(), Sessions: rs.meta.Sessions,
		Participants: []BlockParticipant{}, Streams: []BlockStream{}}
	if !rs.stopped.IsZero() {
		t := rs.stopped.UTC()
		b.StopTime = &t
	}
	for _, p := range rs.meta.Participants {
		b.Participants = append(b.Participants, BlockParticipant{ID: p.ID, RawID: RawID(p), Name: p.Name, AOR: p.AOR,
			Left: p.Left, LeftAt: p.LeftAt})
	}
	for _, sl := range rs.slots {
		if sl.leg == nil {
			continue
		}
		st := BlockStream{Label: sl.offer.label, Participant: sl.leg.rawID, Codec: sl.offer.format.Codec(),
			SRTP: sl.offer.crypto != nil}
		if ms, ok := rs.meta.StreamByLabel(sl.offer.label); ok {
			st.StreamID = ms.ID
		}
		b.Streams = append(b.Streams, st)
	}
	return Block{SIPREC: b}
}
