package siprec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Metadata dialects.
const (
	// DialectRFC7865 is <recording xmlns="urn:ietf:params:xml:ns:recording:1">.
	DialectRFC7865 = "rfc7865"
	// DialectLegacy is the pre-RFC draft form some SRCs still send
	// (BroadWorks, Webex): <recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">.
	DialectLegacy = "legacy"
)

// Data modes (RFC 7865 §6.1): a complete document replaces what the SRS
// knew, a partial one updates it.
const (
	ModeComplete = "complete"
	ModePartial  = "partial"
)

// Metadata is what callrec reads of a recording session's metadata
// document (RFC 7865), whichever dialect it came in. Unknown elements
// (vendor extensions) are skipped.
type Metadata struct {
	Dialect      string        `json:"dialect"`
	DataMode     string        `json:"dataMode"`
	Sessions     []Session     `json:"sessions,omitempty"`
	Participants []Participant `json:"participants,omitempty"`
	Streams      []MediaStream `json:"streams,omitempty"`
}

// Session is a communication session (CS) being recorded.
type Session struct {
	ID            string   `json:"id"`
	SIPSessionIDs []string `json:"sipSessionIds,omitempty"`
	StartTime     string   `json:"startTime,omitempty"`
	StopTime      string   `json:"stopTime,omitempty"`
}

// Participant is a CS participant: its name and address of record, the
// streams it sends and receives, and whether it left.
type Participant struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	AOR  string   `json:"aor,omitempty"`
	Send []string `json:"send,omitempty"` // stream ids
	Recv []string `json:"recv,omitempty"`
	// Left is set when the metadata says the participant left the CS
	// (a disassociate-time).
	Left      bool   `json:"left,omitempty"`
	LeftAt    string `json:"leftAt,omitempty"`
	JoinedAt  string `json:"joinedAt,omitempty"`
	sendGiven bool   // the document listed its streams (partial updates)
}

// MediaStream is a recorded media stream: the SDP m= line whose a=label
// is Label.
type MediaStream struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	SessionID string `json:"sessionId,omitempty"`
}

// errMetadata is what ParseMetadata's errors wrap.
var errMetadata = errors.New("recording metadata")

// ParseMetadata parses a metadata document in either dialect.
func ParseMetadata(b []byte) (*Metadata, error) {
	root, err := parseTree(b)
	if err != nil {
		return nil, fmt.Errorf("%w does not parse: %v", errMetadata, err)
	}
	m := &Metadata{}
	switch root.name {
	case "recording":
		m.Dialect = DialectRFC7865
		m.DataMode = root.value("datamode")
	case "recording_metadata":
		m.Dialect = DialectLegacy
		m.DataMode = root.value("dataMode")
		if m.DataMode == "" {
			m.DataMode = root.value("datamode")
		}
	default:
		return nil, fmt.Errorf("%w: root element <%s>, want <recording> (RFC 7865) or <recording_metadata>", errMetadata, root.name)
	}
	switch strings.ToLower(m.DataMode) {
	case "", ModeComplete:
		m.DataMode = ModeComplete
	case ModePartial:
		m.DataMode = ModePartial
	default:
		return nil, fmt.Errorf("%w: datamode %q, want complete or partial", errMetadata, m.DataMode)
	}
	for _, c := range root.children {
		switch c.name {
		case "session":
			s := Session{ID: first(c.attrs["session_id"], c.attrs["id"]), StartTime: c.value("start-time"), StopTime: c.value("stop-time")}
			for _, sid := range c.children {
				if sid.name == "sipSessionID" {
					s.SIPSessionIDs = append(s.SIPSessionIDs, strings.TrimSpace(sid.text.String()))
				}
			}
			if s.ID == "" {
				return nil, fmt.Errorf("%w: a <session> without an id", errMetadata)
			}
			m.Sessions = append(m.Sessions, s)
		case "participant":
			id := first(c.attrs["participant_id"], c.attrs["id"])
			if id == "" {
				return nil, fmt.Errorf("%w: a <participant> without an id", errMetadata)
			}
			p := m.participant(id)
			if n := c.child("nameID"); n != nil { // RFC 7865
				p.AOR = first(n.attrs["aor"], p.AOR)
				p.Name = first(n.value("name"), p.Name)
			}
			p.AOR = first(c.value("aor"), p.AOR) // legacy
			p.Name = first(c.value("name"), p.Name)
			if send := c.values("send"); len(send) > 0 || c.child("send") != nil {
				p.Send, p.sendGiven = appendNew(p.Send, send...), true
			}
			p.Recv = appendNew(p.Recv, c.values("recv")...)
			if t := first(c.value("disassociate-time"), c.value("stop-time")); t != "" {
				p.Left, p.LeftAt = true, t
			}
			if t := first(c.value("associate-time"), c.value("start-time")); t != "" {
				p.JoinedAt = t
			}
		case "participantstreamassoc":
			id := c.attrs["participant_id"]
			if id == "" {
				return nil, fmt.Errorf("%w: a <participantstreamassoc> without a participant_id", errMetadata)
			}
			p := m.participant(id)
			p.Send, p.sendGiven = appendNew(p.Send, c.values("send")...), true
			p.Recv = appendNew(p.Recv, c.values("recv")...)
		case "participantsessionassoc":
			id := c.attrs["participant_id"]
			if id == "" {
				return nil, fmt.Errorf("%w: a <participantsessionassoc> without a participant_id", errMetadata)
			}
			p := m.participant(id)
			if t := c.value("disassociate-time"); t != "" {
				p.Left, p.LeftAt = true, t
			}
			if t := c.value("associate-time"); t != "" {
				p.JoinedAt = t
			}
		case "stream":
			s := MediaStream{ID: first(c.attrs["stream_id"], c.attrs["id"]), Label: c.value("label"),
				SessionID: first(c.attrs["session_id"], c.attrs["session"])}
			if s.ID == "" {
				return nil, fmt.Errorf("%w: a <stream> without an id", errMetadata)
			}
			if i := slices.IndexFunc(m.Streams, func(o MediaStream) bool { return o.ID == s.ID }); i >= 0 {
				m.Streams[i] = s
			} else {
				m.Streams = append(m.Streams, s)
			}
		}
	}
	return m, nil
}

// participant returns m's participant id, adding it if new.
func (m *Metadata) participant(id string) *Participant {
	for i := range m.Participants {
		if m.Participants[i].ID == id {
			return &m.Participants[i]
		}
	}
	m.Participants = append(m.Participants, Participant{ID: id})
	return &m.Participants[len(m.Participants)-1]
}

// Merge applies an update to m: a complete document replaces m (a
// participant it no longer lists has left), a partial one updates the
// sessions, participants and streams it names.
func (m *Metadata) Merge(u *Metadata) {
	if u.DataMode == ModeComplete {
		old := m.Participants
		*m = *u.clone()
		for _, p := range old {
			if !slices.ContainsFunc(m.Participants, func(q Participant) bool { return q.ID == p.ID }) {
				p.Left = true
				m.Participants = append(m.Participants, p)
			}
		}
		return
	}
	m.DataMode = ModePartial
	for _, s := range u.Sessions {
		if i := slices.IndexFunc(m.Sessions, func(o Session) bool { return o.ID == s.ID }); i >= 0 {
			o := &m.Sessions[i]
			o.StartTime, o.StopTime = first(s.StartTime, o.StartTime), first(s.StopTime, o.StopTime)
			o.SIPSessionIDs = appendNew(o.SIPSessionIDs, s.SIPSessionIDs...)
		} else {
			m.Sessions = append(m.Sessions, s)
		}
	}
	for _, s := range u.Streams {
		if i := slices.IndexFunc(m.Streams, func(o MediaStream) bool { return o.ID == s.ID }); i >= 0 {
			m.Streams[i] = s
		} else {
			m.Streams = append(m.Streams, s)
		}
	}
	for _, p := range u.Participants {
		o := m.participant(p.ID)
		o.Name, o.AOR = first(p.Name, o.Name), first(p.AOR, o.AOR)
		if p.sendGiven {
			o.Send, o.sendGiven = slices.Clone(p.Send), true
		}
		if len(p.Recv) > 0 {
			o.Recv = slices.Clone(p.Recv)
		}
		if p.Left {
			o.Left, o.LeftAt = true, p.LeftAt
		}
		if p.JoinedAt != "" {
			o.JoinedAt = p.JoinedAt
			if !p.Left {
				o.Left, o.LeftAt = false, ""
			}
		}
	}
}

func (m *Metadata) clone() *Metadata {
	c := *m
	c.Sessions = slices.Clone(m.Sessions)
	c.Streams = slices.Clone(m.Streams)
	c.Participants = make([]Participant, len(m.Participants))
	for i, p := range m.Participants {
		p.Send, p.Recv = slices.Clone(p.Send), slices.Clone(p.Recv)
		c.Participants[i] = p
	}
	return &c
}

// SessionID returns the id of the recorded communication session: the
// first <session>'s, or "".
func (m *Metadata) SessionID() string {
	if len(m.Sessions) > 0 {
		return m.Sessions[0].ID
	}
	return ""
}

// StreamByLabel returns the stream whose label is label.
func (m *Metadata) StreamByLabel(label string) (MediaStream, bool) {
	for _, s := range m.Streams {
		if s.Label == label {
			return s, true
		}
	}
	return MediaStream{}, false
}

// Senders returns the participants (not left) that send stream id, in
// metadata order.
func (m *Metadata) Senders(id string) []Participant {
	var out []Participant
	for _, p := range m.Participants {
		if !p.Left && slices.Contains(p.Send, id) {
			out = append(out, p)
		}
	}
	return out
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// appendNew appends the values of vs not in s yet.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}
