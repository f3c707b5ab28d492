package benchlive

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/pion/rtp"

	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

// participant is one simulated publisher joined to a call over WHIP, or a
// phone that calls in over SIP. Its packets are sent by its call's pacer.
type participant struct {
	rawID    string
	sip      bool // a phone: joins with call, not join
	freq     int
	clip     *clip
	pub      *publisher
	phone    *sipphone.Call // a phone's call, instead of pub
	ssrc     uint32         // a phone's
	rtpBuf   []byte
	probe    *delayProbe
	location string // WHIP session URL
	token    string
	seq0     uint16
	ts0      uint32
	// video, with --video: its loop, and where its RTP numbering starts.
	video  *videoClip
	vseq0  uint16
	vts0   uint32
	k      int // its index in the call (its colour, tone and beep)
	beepHz int

	// Written by the pacer goroutine only; read after it has stopped.
	sent     int
	sendErrs int
	first    time.Time // when its first packet was due
	last     time.Time // when its last packet was due
	vnext    int       // the next video frame
	vpackets int       // video packets sent
	// keyRequests counts the server's keyframe requests (PLI, FIR): the
	// loop's next keyframe, at most a second away, answers them.
	keyRequests int
}

// join publishes the participant over WHIP and connects it (ICE, DTLS).
func (p *participant) join(ctx context.Context, client *http.Client, endpoint, callID string) error {
	p.probe = newDelayProbe()
	pub, location, err := publish(ctx, client, endpoint, callID, p.token, p.probe, p.video != nil)
	p.location = location
	if err != nil {
		return err
	}
	p.pub = pub
	return nil
}

// call places a phone's call to the server's SIP endpoint.
func (p *participant) call(ctx context.Context, sipAddr, callID string) error {
	c, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: sipAddr, CallID: callID, Participant: p.rawID,
		Codec: sipphone.PCMU, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	p.phone, p.ssrc, p.rtpBuf = c, rand.Uint32(), make([]byte, 0, 12+160)
	return nil
}

// joined reports whether the participant is connected.
func (p *participant) joined() bool { return p.pub != nil || p.phone != nil }

// send writes packet i (the pacer goroutine only).
func (p *participant) send(i int, payload []byte) error {
	if p.phone == nil {
		return p.pub.send(p.seq0+uint16(i), p.ts0+uint32(i*frameSamples), i == 0, payload)
	}
	h := rtp.Header{Version: 2, PayloadType: 0, Marker: i == 0, SSRC: p.ssrc,
		SequenceNumber: p.seq0 + uint16(i), Timestamp: p.ts0 + uint32(i*sipphone.TimestampStep)}
	n, err := h.MarshalTo(p.rtpBuf[:12])
	if err != nil {
		return err
	}
	_, err = p.phone.RTP.WriteToUDPAddrPort(append(p.rtpBuf[:n], payload...), p.phone.Media)
	return err
}

// sendVideo sends the video frames due by audio packet i (the pacer
// goroutine only): frame n is due n/videoFPS after packet 0, and goes on
// the first 20 ms tick at or after that (every third frame, a flash among
// them, exactly on its tick); its RTP timestamp is its own time.
func (p *participant) sendVideo(i int) error {
	last := i * int(frameInterval/time.Millisecond) * videoFPS / 1000
	var err error
	for ; p.vnext <= last; p.vnext++ {
		pays := p.video.frame(p.vnext)
		for j, pay := range pays {
			if e := p.pub.sendVideo(p.vseq0+uint16(p.vpackets), p.vts0+uint32(p.vnext*videoFrameTicks), j == len(pays)-1, pay); e != nil {
				err = e
			}
			p.vpackets++
		}
	}
	if p.pub.keyframeWanted.Swap(false) {
		p.keyRequests++
	}
	return err
}

// leave ends the WHIP session (the server records the leave) and closes
// the publisher, or hangs a phone up (BYE). A second leave sends nothing.
func (p *participant) leave(client *http.Client) {
	if p.phone != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = p.phone.Hangup(ctx)
		cancel()
		p.phone.Close()
		p.phone = nil
	}
	if p.location != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = simulate.Leave(ctx, client, p.location, p.token)
		cancel()
		p.location = ""
	}
	if p.pub != nil {
		p.pub.close()
		p.pub = nil
	}
}
