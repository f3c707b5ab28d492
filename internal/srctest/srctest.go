// Package srctest is a SIPREC recording client (SRC) for tests: a sipgo
// user agent that opens a recording session (RFC 7866) with RFC 7865
// metadata and labelled streams, and sends each stream a tone as PCMA RTP
// or, with a key, SDES-SRTP (pion/srtp), paced in real time.
package srctest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/audio/g711"
)

// Stream is one recorded stream of a session and its participant.
type Stream struct {
	Label string
	AOR   string // the participant's address of record
	// Suite is the SDES crypto suite (AES_CM_128_HMAC_SHA1_80 or _32);
	// empty sends plain RTP/AVP.
	Suite string
	// Opus offers PCMA then Opus (opus/48000/2 on 111) and sends Opus,
	// encoded by audio.OpusEncoder; otherwise PCMA alone.
	Opus bool
	key  []byte
	seq  uint16
	ts   uint32
	ssrc uint32
	// next is when the packet after the last one sent was due: a Tone
	// that starts later advances the timestamp by the packets not sent
	// meanwhile, as a sender's sampling clock runs on between talkspurts
	// (RFC 3550 §5.1).
	next time.Time
}

// SRC is a recording client with one session at a time.
type SRC struct {
	ua      *sipgo.UserAgent
	dialog  *sipgo.DialogUA
	server  netip.AddrPort
	conn    *net.UDPConn
	session *sipgo.DialogClientSession
	Streams []*Stream
	Ports   []int      // the answer's port of each stream
	Formats [][]string // the answer's payload types of each stream
}

// New returns an SRC that talks to the SIP endpoint at server; Close
// releases it.
func New(server netip.AddrPort) (*SRC, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-src"))
	if err != nil {
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		ua.Close()
		return nil, err
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		ua.Close()
		return nil, err
	}
	s := &SRC{ua: ua, server: server, conn: conn}
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "src", Host: "127.0.0.1"}, Params: sip.NewParams()}
	c.Params.Add("+sip.src", "")
	s.dialog = &sipgo.DialogUA{Client: client, ContactHDR: c}
	return s, nil
}

// Close releases the SRC's sockets.
func (s *SRC) Close() {
	s.conn.Close()
	s.ua.Close()
}

// Invite opens a recording session of communication session csID with
// streams (each new stream of a second Invite starts its numbering again;
// the SRC's stream states are kept across Invites of the same labels). It
// returns the answer's status.
func (s *SRC) Invite(ctx context.Context, csID string, streams ...*Stream) (int, error) {
	for _, st := range streams {
		if st.Suite != "" && st.key == nil {
			st.key = make([]byte, 30)
			_, _ = rand.Read(st.key)
		}
		if st.ssrc == 0 {
			var b [4]byte
			_, _ = rand.Read(b[:])
			st.ssrc, st.seq, st.ts = uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])|1, uint16(b[1])<<8, uint32(b[2])<<16
		}
	}
	s.Streams = streams
	body := Body(csID, s.conn.LocalAddr().(*net.UDPAddr).Port, streams...)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "src", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	// TCP: a SIPREC INVITE is larger than sipgo sends over UDP.
	uri := sip.Uri{Scheme: "sip", User: "srs", Host: s.server.Addr().String(), Port: int(s.server.Port()),
		UriParams: sip.NewParams()}
	uri.UriParams.Add("transport", "tcp")
	sess, err := s.dialog.Invite(ctx, uri, []byte(body), from, sip.NewHeader("Require", "siprec"),
		sip.NewHeader("Content-Type", "multipart/mixed;boundary=srctest"))
	if err != nil {
		return 0, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		if sess.InviteResponse != nil && !sess.InviteResponse.IsSuccess() {
			return sess.InviteResponse.StatusCode, nil
		}
		return 0, err
	}
	if err := sess.Ack(ctx); err != nil {
		return 0, err
	}
	s.session = sess
	var ans sdp.SessionDescription
	if err := ans.UnmarshalString(string(sess.InviteResponse.Body())); err != nil {
		return 0, fmt.Errorf("answer: %w", err)
	}
	s.Ports, s.Formats = nil, nil
	for _, m := range ans.MediaDescriptions {
		s.Ports = append(s.Ports, m.MediaName.Port.Value)
		s.Formats = append(s.Formats, m.MediaName.Formats)
	}
	return sess.InviteResponse.StatusCode, nil
}

// Bye ends the session.
func (s *SRC) Bye(ctx context.Context) error { return s.session.Bye(ctx) }

// Body is a SIPREC INVITE body: the offer of streams (the SRC's media on
// port) and RFC 7865 metadata, one participant per stream.
func Body(csID string, port int, streams ...*Stream) string {
	var sd strings.Builder
	sd.WriteString("v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")
	var md strings.Builder
	fmt.Fprintf(&md, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<recording xmlns='urn:ietf:params:xml:ns:recording:1'>\r\n"+
		"<datamode>complete</datamode>\r\n<session session_id=%q/>\r\n", csID)
	for i, st := range streams {
		proto := "RTP/AVP"
		if st.Suite != "" {
			proto = "RTP/SAVP"
		}
		if st.Opus {
			fmt.Fprintf(&sd, "m=audio %d %s 8 111\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:111 opus/48000/2\r\n", port+2*i, proto)
		} else {
			fmt.Fprintf(&sd, "m=audio %d %s 8\r\na=rtpmap:8 PCMA/8000\r\n", port+2*i, proto)
		}
		fmt.Fprintf(&sd, "a=label:%s\r\na=sendonly\r\n", st.Label)
		if st.Suite != "" {
			fmt.Fprintf(&sd, "a=crypto:1 %s inline:%s\r\n", st.Suite, base64.StdEncoding.EncodeToString(st.key))
		}
		fmt.Fprintf(&md, "<participant participant_id=\"p%s\"><nameID aor=%q/></participant>\r\n"+
			"<stream stream_id=\"s%s\" session_id=%q><label>%s</label></stream>\r\n"+
			"<participantstreamassoc participant_id=\"p%s\"><send>s%s</send></participantstreamassoc>\r\n",
			st.Label, st.AOR, st.Label, csID, st.Label, st.Label, st.Label)
	}
	md.WriteString("</recording>\r\n")
	return "--srctest\r\nContent-Type: application/sdp\r\n\r\n" + sd.String() + "\r\n--srctest\r\n" +
		"Content-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n" + md.String() +
		"\r\n--srctest--\r\n"
}

// Tone sends every stream its tone (freqs[i] for stream i, amplitude
// amp) for d, in 20 ms packets paced in real time, from the SRC's socket
// to the answered ports. It returns when the last packet is sent (or ctx
// ends) with the wall time of the first packet. The RTP timestamps of a
// stream's later tone count the time since its earlier one.
func (s *SRC) Tone(ctx context.Context, freqs []float64, amp float64, d time.Duration) (time.Time, error) {
	n := int(d / (20 * time.Millisecond))
	pcm := make([][]int16, len(s.Streams))
	keys := make([]*srtp.Context, len(s.Streams))
	opus := make([][][]byte, len(s.Streams))
	for i, st := range s.Streams {
		pcm[i] = audio.Sine(freqs[i], amp, 8000, n*160)
		if st.Opus {
			enc, err := audio.NewOpusEncoder(48000, 32000)
			if err != nil {
				return time.Time{}, err
			}
			if opus[i], err = enc.EncodeAll(audio.Sine(freqs[i], amp, 48000, n*960)); err != nil {
				return time.Time{}, err
			}
		}
		if st.Suite != "" {
			profile := srtp.ProtectionProfileAes128CmHmacSha1_80
			if strings.HasSuffix(st.Suite, "_32") {
				profile = srtp.ProtectionProfileAes128CmHmacSha1_32
			}
			var err error
			if keys[i], err = srtp.CreateContext(st.key[:16], st.key[16:], profile); err != nil {
				return time.Time{}, err
			}
		}
	}
	payload := make([]byte, 160)
	start := time.Now()
	for _, st := range s.Streams {
		if !st.next.IsZero() && start.After(st.next) {
			st.ts += uint32(start.Sub(st.next).Round(20*time.Millisecond)/(20*time.Millisecond)) * st.step()
		}
		st.next = start.Add(time.Duration(n) * 20 * time.Millisecond)
	}
	for k := range n {
		if d := time.Until(start.Add(time.Duration(k) * 20 * time.Millisecond)); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return start, ctx.Err()
			}
		}
		for i, st := range s.Streams {
			if s.Ports[i] == 0 {
				continue
			}
			g711.PCMA.Encode(payload, pcm[i][k*160:(k+1)*160])
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: st.seq, Timestamp: st.ts,
				SSRC: st.ssrc}, Payload: payload}
			if st.Opus {
				if k >= len(opus[i]) {
					continue
				}
				pkt.PayloadType, pkt.Payload = 111, opus[i][k]
			}
			st.seq++
			st.ts += st.step()
			raw, err := pkt.Marshal()
			if err != nil {
				return start, err
			}
			if keys[i] != nil {
				if raw, err = keys[i].EncryptRTP(nil, raw, nil); err != nil {
					return start, err
				}
			}
			to := netip.AddrPortFrom(s.server.Addr(), uint16(s.Ports[i]))
			if _, err := s.conn.WriteToUDPAddrPort(raw, to); err != nil {
				return start, err
			}
		}
	}
	return start, nil
}

// step is a 20 ms packet in RTP time: 8000 Hz for PCMA, 48000 Hz for Opus.
func (st *Stream) step() uint32 {
	if st.Opus {
		return 960
	}
	return 160
}

// ReInvite sends a re-INVITE in the session with body of contentType
// and ACKs a 2xx; it returns the status.
func (s *SRC) ReInvite(ctx context.Context, contentType string, body []byte) (int, error) {
	req := sip.NewRequest(sip.INVITE, s.session.InviteResponse.Contact().Address)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.AppendHeader(sip.NewHeader("Require", "siprec"))
	res, err := s.session.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, s.session.InviteResponse.Contact().Address)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
		if err := s.session.WriteRequest(ack); err != nil {
			return res.StatusCode, err
		}
	}
	return res.StatusCode, nil
}
