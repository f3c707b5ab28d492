package siprec

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/sip"
)

// Why a recording session ends.
const (
	reasonBye          = "Bye"                // the SRC ended it
	reasonShuttingDown = "ServerShuttingDown" // callrec stops
	reasonReplaced     = "Replaced"           // a new INVITE for the same communication session
	reasonNoAck        = "NoAck"              // the 200 OK was never acknowledged
)

// session is one recording session (RS): a SIP dialog with an SRC, the
// callrec call it feeds, and one leg per recorded stream.
type session struct {
	srv       *Server
	log       *slog.Logger
	callID    string // serverCallId
	csID      string // the communication session's id
	sipCallID string
	dialogID  string
	dialog    *sipgo.DialogServerSession
	started   time.Time

	op sync.Mutex // serialises offers, BYE and hang-ups

	mu          sync.Mutex // guards what follows
	meta        *Metadata
	slots       []*slot // by m= line of the latest offer
	version     uint64
	recordingID string
	ended       bool
	stopped     time.Time
}

// slot is one m= line of the RS's SDP: its offer and, when recorded, its
// port and leg.
type slot struct {
	offer offerStream
	port  int
	leg   *leg
	conn  *net.UDPConn // bound, before its leg starts
}

// invite opens a recording session.
func (s *Server) invite(req *gosip.Request, tx gosip.ServerTransaction) {
	log := s.log.With("sipCallId", callIDHeader(req))
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.refuse(log, req, tx, &refusal{503, "Service Unavailable", "callrec is shutting down"})
		return
	}
	_ = tx.Respond(gosip.NewResponseFromRequest(req, 100, "Trying", nil))
	md, offer, err := readInvite(req)
	if err != nil {
		s.refuse(log, req, tx, refusalOf(err))
		return
	}
	csID := md.SessionID()
	if csID == "" {
		csID = "sip:" + callIDHeader(req)
	}
	dialog, err := s.cfg.Endpoint.Dialogs().ReadInvite(req, tx)
	if err != nil {
		s.refuse(log, req, tx, refusalOf(badRequest("%v", err)))
		return
	}
	reject := func(r *refusal) {
		log.Info("SIPREC INVITE refused", "status", r.code, "why", r.why)
		_ = dialog.Respond(r.code, r.reason, nil, sip.Warning(r.why))
	}
	ctx := dialog.Context()
	callID, err := s.takeCall(ctx, csID)
	if err != nil {
		reject(refusalOf(err))
		return
	}
	log = log.With("serverCallId", callID, "sessionId", csID)
	rs := &session{srv: s, log: log, callID: callID, csID: csID, sipCallID: callIDHeader(req),
		dialogID: dialog.ID, dialog: dialog, started: time.Now(), meta: md}
	s.mu.Lock()
	old := s.byCall[callID]
	s.mu.Unlock()
	if old != nil {
		log.Info("a new INVITE for the session: the previous dialog is hung up")
		old.hangup(reasonReplaced)
	}
	rs.op.Lock()
	defer rs.op.Unlock()
	if err := rs.startPolicy(ctx); err != nil {
		reject(&refusal{500, "Server Internal Error", "starting the recording: " + err.Error()})
		return
	}
	if err := rs.apply(ctx, md, offer); err != nil {
		rs.end(reasonNoAck, false)
		reject(refusalOf(err))
		return
	}
	s.mu.Lock()
	s.byDialog[rs.dialogID], s.byCall[callID] = rs, rs
	s.mu.Unlock()
	res := gosip.NewSDPResponseFromRequest(dialog.InviteRequest, rs.answer())
	s.cfg.Endpoint.Decorate(req, res)
	log.Info("recording session started", "streams", rs.describe(), "dialect", md.Dialect, "recordingId", rs.recording())
	rs.annotate()
	if err := dialog.WriteResponse(res); err != nil {
		log.Info("answer not acknowledged", "err", err)
		s.endLater(rs, reasonNoAck, false)
	}
}

// readInvite reads a SIPREC INVITE's metadata and offer; both are needed.
func readInvite(req *gosip.Request) (*Metadata, []offerStream, error) {
	body, err := parseRequestBody(req)
	if err != nil {
		return nil, nil, err
	}
	if body.Metadata == nil {
		return nil, nil, badRequest("a SIPREC INVITE needs recording metadata: a multipart/mixed body with an %s part", typeMetadata)
	}
	if body.SDP == nil {
		return nil, nil, badRequest("a SIPREC INVITE needs an SDP offer (callrec does not offer first)")
	}
	md, err := ParseMetadata(body.Metadata)
	if err != nil {
		return nil, nil, badRequest("%v", err)
	}
	offer, err := parseOffer(body.SDP)
	if err != nil {
		return nil, nil, err
	}
	if err := checkOffer(offer, md); err != nil {
		return nil, nil, err
	}
	return md, offer, nil
}

func parseRequestBody(req *gosip.Request) (Body, error) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	return ParseBody(ct, req.Body())
}

// checkOffer checks an offer against the metadata: every recorded stream
// has a label of its own, at least one of them is a stream of the
// metadata, and at least one has a codec (and key) callrec takes.
func checkOffer(offer []offerStream, md *Metadata) error {
	labels := map[string]bool{}
	matched, usable := false, 0
	var refusedWhy string
	for i, st := range offer {
		if st.media != "audio" || st.port == 0 {
			continue
		}
		if st.label == "" {
			return badRequest("m= line %d has no a=label: SIPREC streams are matched to the metadata by label", i+1)
		}
		if labels[st.label] {
			return badRequest("a=label:%s is on more than one m= line", st.label)
		}
		labels[st.label] = true
		if _, ok := md.StreamByLabel(st.label); ok {
			matched = true
		}
		if st.refused == "" {
			usable++
		} else if refusedWhy == "" {
			refusedWhy = fmt.Sprintf("stream %s: %s", st.label, st.refused)
		}
	}
	if len(labels) > 0 && !matched {
		var known []string
		for _, s := range md.Streams {
			known = append(known, s.Label)
		}
		return badRequest("no stream of the SDP matches a stream of the metadata by label (SDP labels %v, metadata labels %v)",
			sortedKeys(labels), known)
	}
	if usable == 0 {
		if refusedWhy == "" {
			refusedWhy = "no audio stream to record"
		}
		return notAcceptable("%s", refusedWhy)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// takeCall returns the serverCallId of the callrec call that records
// communication session csID: its active call, or a new one (a session
// whose call ended gets the next generation's).
func (s *Server) takeCall(ctx context.Context, csID string) (string, error) {
	for gen := range 1000 {
		id := ServerCallID(csID, gen)
		c, err := s.cfg.Calls.Call(ctx, id)
		if callrec.KindOf(err) == callrec.KindNotFound {
			if _, err = s.cfg.Calls.CreateCall(ctx, id); err == nil {
				return id, nil
			}
			if callrec.KindOf(err) != callrec.KindConflict {
				return "", err
			}
			c, err = s.cfg.Calls.Call(ctx, id) // created meanwhile
		}
		if err != nil {
			return "", err
		}
		if c.State == callrec.CallActive {
			return id, nil
		}
	}
	return "", fmt.Errorf("communication session %q has ended too many times", csID)
}

// startPolicy starts the policy's recording, unless the call has one
// that is not stopped (a restart of callrec, or a new INVITE for the
// session) or the policy is off.
func (rs *session) startPolicy(ctx context.Context) error {
	for _, state := range []callrec.RecordingState{callrec.StateActive, callrec.StateInactive} {
		page, err := rs.srv.cfg.Recordings.ListRecordings(ctx, callrec.RecordingQuery{ServerCallID: rs.callID, State: state, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Recordings) > 0 {
			rs.setRecording(page.Recordings[0].ID)
			return nil
		}
	}
	p := rs.srv.cfg.Policy
	if p.Off {
		return nil
	}
	var order []string
	for _, pt := range rs.meta.Participants {
		if !pt.Left {
			order = append(order, RawID(pt))
		}
	}
	r, err := rs.srv.cfg.Recordings.StartRecording(ctx, callrec.StartRecording{Spec: callrec.RecordingSpec{
		ServerCallID: rs.callID, Content: callrec.ContentAudio, Channel: p.Channel, Format: p.Format,
		ChannelOrder: order, PauseBehavior: callrec.PauseCut,
	}})
	if err != nil {
		return err
	}
	rs.setRecording(r.ID)
	return nil
}

func (rs *session) setRecording(id string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.recordingID = id
}

func (rs *session) recording() string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.recordingID
}

// reoffer handles a re-INVITE or UPDATE: a metadata update, an SDP
// offer, or both. A refusal leaves the session as it was.
func (rs *session) reoffer(req *gosip.Request, tx gosip.ServerTransaction, invite bool) {
	if err := rs.dialog.ReadRequest(req, tx); err != nil {
		sip.Respond(tx, req, 500, "Server Internal Error", sip.Warning(err.Error()))
		return
	}
	fail := func(err error) {
		r := refusalOf(err)
		rs.log.Info("SIPREC update refused; the session stays as it was", "status", r.code, "why", r.why)
		sip.Respond(tx, req, r.code, r.reason, sip.Warning(r.why))
	}
	body, err := parseRequestBody(req)
	if err != nil {
		fail(err)
		return
	}
	rs.op.Lock()
	defer rs.op.Unlock()
	rs.mu.Lock()
	merged := rs.meta.clone()
	rs.mu.Unlock()
	if body.Metadata != nil {
		u, err := ParseMetadata(body.Metadata)
		if err != nil {
			fail(badRequest("%v", err))
			return
		}
		merged.Merge(u)
	}
	var offer []offerStream
	if body.SDP != nil {
		if offer, err = parseOffer(body.SDP); err == nil {
			err = checkUpdate(offer, merged)
		}
		if err != nil {
			fail(err)
			return
		}
	}
	if err := rs.apply(context.WithoutCancel(context.Background()), merged, offer); err != nil {
		fail(err)
		return
	}
	var answer []byte
	if body.SDP != nil || (invite && len(req.Body()) == 0) {
		answer = rs.answer()
	}
	res := gosip.NewResponseFromRequest(req, 200, "OK", answer)
	if answer != nil {
		res.AppendHeader(gosip.NewHeader("Content-Type", typeSDP))
	}
	rs.srv.cfg.Endpoint.Decorate(req, res)
	_ = tx.Respond(res)
	rs.log.Info("recording session updated", "metadata", body.Metadata != nil, "sdp", body.SDP != nil,
		"dataMode", merged.DataMode, "streams", rs.describe())
	rs.annotate()
}

// checkUpdate checks a re-offer: labels as for an INVITE, except that a
// re-offer may pause every stream.
func checkUpdate(offer []offerStream, md *Metadata) error {
	err := checkOffer(offer, md)
	if r, ok := err.(*refusal); ok && r.code == 488 {
		for _, st := range offer {
			if st.port != 0 && st.refused == "" {
				return err
			}
		}
		for _, st := range offer {
			if st.port != 0 && st.media == "audio" {
				return err // streams offered, none of them usable
			}
		}
		return nil
	}
	return err
}

// apply makes the session's legs what metadata md and offer (nil: the
// streams as they are) say: new streams get a port (after the last one
// when free: P, P+2, …) and a leg, removed ones end, a stream whose
// participant changed (re-association, a participant who left) goes on
// as its new participant on the same port. rs.op is held.
func (rs *session) apply(ctx context.Context, md *Metadata, offer []offerStream) error {
	rs.mu.Lock()
	rs.meta = md
	slots := slices.Clone(rs.slots)
	rs.mu.Unlock()
	if offer != nil {
		for i, st := range offer {
			if i < len(slots) {
				sl := *slots[i]
				sl.offer = st
				slots[i] = &sl
			} else {
				slots = append(slots, &slot{offer: st})
			}
		}
		for _, sl := range slots[len(offer):] {
			sl.offer.port = 0 // an m= line the new offer lacks
		}
	}
	// The participant of each stream, in m= order; a participant sends
	// on one stream only, the others are named after their stream.
	taken := map[string]bool{}
	want := make([]string, len(slots))
	for i, sl := range slots {
		if sl.offer.port == 0 || sl.offer.refused != "" {
			continue
		}
		want[i] = rs.participantOf(md, sl.offer.label, taken)
	}
	// Legs that end or change participant stop first (a participant
	// moving between streams must leave one before joining the other).
	for i, sl := range slots {
		if sl.leg != nil && (want[i] == "" || want[i] != sl.leg.rawID) {
			sl.leg.stop()
			if want[i] == "" {
				sl.leg, sl.port = nil, 0
			} else {
				sl.leg = nil // the port is bound again below
			}
		}
	}
	var need []int
	for i, sl := range slots {
		if want[i] != "" && sl.leg == nil && sl.port == 0 {
			need = append(need, i)
		}
	}
	var err error
	if len(rs.slots) == 0 && len(need) > 0 {
		err = rs.bindBlock(slots, need) // the first offer: P, P+2, …
	} else {
		for _, i := range need {
			if err = rs.bindNext(slots, i); err != nil {
				break
			}
		}
	}
	for i, sl := range slots {
		switch {
		case want[i] == "":
		case sl.leg != nil:
			sl.leg.update(sl.offer)
		case err == nil && sl.conn != nil:
			l, aerr := rs.startLeg(ctx, sl.conn, sl.offer, want[i])
			sl.conn = nil
			if aerr != nil {
				err = aerr
				sl.port = 0
				continue
			}
			sl.leg = l
		}
	}
	for _, sl := range slots {
		if sl.conn != nil { // bound but not used (an error above)
			sl.conn.Close()
			rs.srv.cfg.Endpoint.ReleaseRTP(sl.port)
			sl.conn, sl.port = nil, 0
		}
	}
	rs.mu.Lock()
	rs.slots = slots
	rs.mu.Unlock()
	if err != nil {
		return &refusal{503, "Service Unavailable", err.Error()}
	}
	return nil
}

// participantOf returns the rawId of the participant who sends the stream
// labelled label: the one participant (not left) the metadata says sends
// it, else a participant named after the stream (a mixed stream, or one
// whose sender the metadata does not tell).
func (rs *session) participantOf(md *Metadata, label string, taken map[string]bool) string {
	id := streamRawID(label)
	if ms, ok := md.StreamByLabel(label); ok {
		if senders := md.Senders(ms.ID); len(senders) == 1 {
			id = RawID(senders[0])
		}
	}
	if taken[id] {
		id = streamRawID(label)
	}
	taken[id] = true
	return id
}

// bindBlock binds consecutive even ports for the slots need.
func (rs *session) bindBlock(slots []*slot, need []int) error {
	conns, err := rs.srv.cfg.Endpoint.ListenRTP(len(need))
	if err != nil {
		return err
	}
	for k, i := range need {
		slots[i].conn, slots[i].port = conns[k], conns[k].LocalAddr().(*net.UDPAddr).Port
	}
	return nil
}

// bindNext binds a port for slot i: the one after the session's highest
// when free, else any.
func (rs *session) bindNext(slots []*slot, i int) error {
	if slots[i].port != 0 { // its leg changed participant: the same port again
		if c, err := rs.srv.cfg.Endpoint.ListenRTPAt(slots[i].port); err == nil {
			slots[i].conn = c
			return nil
		}
	}
	high := 0
	for _, sl := range slots {
		high = max(high, sl.port)
	}
	if high > 0 {
		if c, err := rs.srv.cfg.Endpoint.ListenRTPAt(high + 2); err == nil {
			slots[i].conn, slots[i].port = c, high+2
			return nil
		}
	}
	conns, err := rs.srv.cfg.Endpoint.ListenRTP(1)
	if err != nil {
		return err
	}
	slots[i].conn, slots[i].port = conns[0], conns[0].LocalAddr().(*net.UDPAddr).Port
	return nil
}

// answer returns callrec's SDP for the session's streams as they are.
func (rs *session) answer() []byte {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.version++
	offer := make([]offerStream, len(rs.slots))
	ports := make([]int, len(rs.slots))
	for i, sl := range rs.slots {
		offer[i] = sl.offer
		if sl.leg != nil {
			ports[i] = sl.port
		}
	}
	ep := rs.srv.cfg.Endpoint
	return answerSDP(offer, ports, ep.MediaAddr(0).Addr(), ep.SessionID(), rs.version)
}

// describe lists the streams for a log line: label=rawId@port.
func (rs *session) describe() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []string
	for _, sl := range rs.slots {
		if sl.leg != nil {
			out = append(out, fmt.Sprintf("%s=%s@%d/%s", sl.offer.label, sl.leg.rawID, sl.port, sl.offer.format.Codec()))
		}
	}
	return out
}

// bye ends the session at the SRC's BYE, and its call with it.
func (rs *session) bye(req *gosip.Request, tx gosip.ServerTransaction) {
	if err := rs.dialog.ReadBye(req, tx); err != nil {
		sip.Respond(tx, req, 200, "OK")
	}
	rs.srv.endLater(rs, reasonBye, true)
}

// hangup sends the SRC a BYE and ends the session; the call goes on.
func (rs *session) hangup(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := rs.dialog.Bye(ctx); err != nil {
		rs.log.Info("BYE not answered", "err", err)
	}
	rs.end(reason, false)
}

const byeTimeout = 5 * time.Second

// end stops every leg (their leaves recorded) and forgets the session;
// with endCall, the call ends too (its recordings stop and their files
// are published). Later calls wait for the first.
func (rs *session) end(reason string, endCall bool) {
	rs.op.Lock()
	defer rs.op.Unlock()
	rs.mu.Lock()
	if rs.ended {
		rs.mu.Unlock()
		return
	}
	rs.ended, rs.stopped = true, time.Now()
	slots := rs.slots
	rs.mu.Unlock()
	var wg sync.WaitGroup
	for _, sl := range slots {
		if sl.leg != nil {
			wg.Go(func() { sl.leg.stop() })
		}
	}
	wg.Wait()
	rs.srv.forget(rs)
	rs.log.Info("recording session ended", "reason", reason)
	if !endCall {
		return
	}
	rs.annotate()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rs.srv.cfg.Calls.EndCall(ctx, rs.callID); err != nil && callrec.KindOf(err) != callrec.KindNotFound {
		rs.log.Warn("ending the call", "err", err)
	}
}

// annotate keeps the session's metadata in its recording's callrec block.
func (rs *session) annotate() {
	a := rs.srv.cfg.Annotator
	id := rs.recording()
	if a == nil || id == "" {
		return
	}
	b, err := json.Marshal(rs.block())
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.AnnotateRecording(ctx, id, b); err != nil {
		rs.log.Warn("keeping the SIPREC metadata with the recording", "recordingId", id, "err", err)
	}
}
