package sip

import (
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/callrec/callrec/audio/dtmf"
	"github.com/callrec/callrec/mediarecv"
)

// RecordingServer takes the requests of SIPREC recording sessions (RFC
// 7866): package siprec implements it. Handle is offered every INVITE,
// ACK, BYE and UPDATE before the endpoint's own handling, and reports
// whether it took the request (a SIPREC INVITE, or a request in one of its
// dialogs); the endpoint handles the rest as phone calls.
type RecordingServer interface {
	Handle(req *sip.Request, tx sip.ServerTransaction) bool
}

// SetRecordingServer makes s the endpoint's recording server. Call it
// before Listen.
func (e *Endpoint) SetRecordingServer(s RecordingServer) { e.srs = s }

// IsSIPREC reports whether an INVITE opens or updates a SIPREC recording
// session: it requires the siprec option tag, or its Contact carries the
// +sip.src feature tag (RFC 7866 §6.1).
func IsSIPREC(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Require") {
		for v := range strings.SplitSeq(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), "siprec") {
				return true
			}
		}
	}
	if c := req.Contact(); c != nil {
		if c.Params.Has("+sip.src") || strings.Contains(strings.ToLower(c.Value()), "+sip.src") {
			return true
		}
	}
	return false
}

// Dialogs returns the endpoint's dialog user agent (UAS dialogs and BYEs).
func (e *Endpoint) Dialogs() *sipgo.DialogUA { return e.dialogs }

// Decorate adds callrec's Contact, Allow and Supported headers to an
// answer, and accepts a session timer as for phones.
func (e *Endpoint) Decorate(req *sip.Request, res *sip.Response) { e.decorate(req, res) }

// MediaAddr is the address peers send RTP for a local port to.
func (e *Endpoint) MediaAddr(port int) netip.AddrPort { return e.mediaAddr(port) }

// SessionID is the o= session id of callrec's SDP.
func (e *Endpoint) SessionID() uint64 { return e.sessionID }

// ListenRTP binds n consecutive even ports of the RTP range (P, P+2, …).
func (e *Endpoint) ListenRTP(n int) ([]*net.UDPConn, error) { return e.ports.listenBlock(n) }

// ListenRTPAt binds port of the RTP range, if free.
func (e *Endpoint) ListenRTPAt(port int) (*net.UDPConn, error) { return e.ports.listenAt(port) }

// Receive is the pool of receive workers that read the endpoint's legs'
// sockets; SIPREC streams are read by it too.
func (e *Endpoint) Receive() *mediarecv.Pool { return e.recv }

// ReleaseRTP returns a port bound by ListenRTP or ListenRTPAt to the pool,
// once its socket is closed.
func (e *Endpoint) ReleaseRTP(port int) { e.ports.release(port) }

// Warning is the Warning header (code 399) that explains a refusal.
func Warning(text string) sip.Header { return warning(text) }

// Respond answers a request outside an INVITE dialog session.
func Respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	respond(tx, req, code, reason, headers...)
}

// E164 reports whether user is an E.164 number ("+" and 1 to 15 digits).
func E164(user string) (string, bool) { return e164(user) }

// TickEvery is how often a stream must be let time pass (Stream.Tick).
const TickEvery = tickEvery

// StreamStats counts what happened to one stream's RTP.
type StreamStats = streamStats

// Stream turns one RTP stream's packets into contiguous 20 ms frames of
// 16 kHz audio on the call clock, as a phone's leg does: reorder window,
// decoding, concealment, comfort noise, key presses. Push, Tick and
// Finish come from one goroutine.
type Stream struct{ s *stream }

// NewStream returns a Stream emitting frames to emit, the first no
// earlier than floor (callmedia.Participant.Floor).
func NewStream(emit func(pos int64, samples []int16), floor int64, onPress func(dtmf.Press)) *Stream {
	s := newStream(emit, onPress)
	s.out.SetFloor(floor)
	return &Stream{s: s}
}

// Use takes the payload types of an (updated) answer; those of earlier
// answers stay decodable.
func (s *Stream) Use(f Format) {
	s.s.use(mediaDesc{codec: f.codec, pt: f.PT, tePT: f.TelephoneEvent, cnPT: f.CN})
}

// Push takes one packet that arrived at call-clock position arrival.
func (s *Stream) Push(pkt *rtp.Packet, arrival int64) { s.s.push(pkt, arrival) }

// Tick lets time pass to call-clock position now.
func (s *Stream) Tick(now int64) { s.s.tick(now) }

// Restart starts a new mapping of RTP time with the next packets (after a
// pause in the media).
func (s *Stream) Restart(now int64) { s.s.restart(now) }

// Finish drains the stream and pads its last frame; it returns where its
// audio ended on the call clock.
func (s *Stream) Finish(now int64) int64 {
	s.s.finish(now)
	return s.s.out.Cursor()
}

// Stats returns the stream's counters.
func (s *Stream) Stats() StreamStats { return s.s.stats }
