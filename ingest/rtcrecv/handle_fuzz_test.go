package rtcrecv

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/stun/v4"
)

// FuzzHandleDatagram feeds arbitrary datagrams, as if from a publisher's
// bound address, through the worker's demultiplexer: STUN parsing and
// integrity, the DTLS hand-off and SRTP decryption must reject garbage
// without panicking, and the handler only ever sees the accepted payload type.
func FuzzHandleDatagram(f *testing.F) {
	from := netip.MustParseAddrPort("127.0.0.1:9") // discard: answers go nowhere
	w, s, p, _ := connectedPeer(f, from)
	p.handler = payloadTypeCheck{pt: p.audioPT}

	req, _ := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(p.ufrag+":x"),
		stun.NewShortTermIntegrity(p.pwd), stun.Fingerprint)
	f.Add(req.Raw)
	f.Add([]byte{22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1})
	f.Add([]byte{0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add([]byte{0x80, 200, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		w.handle(s, from, b, time.Now())
		for len(p.dtlsIn) > 0 {
			<-p.dtlsIn
		}
	})
}

type payloadTypeCheck struct{ pt uint8 }

func (c payloadTypeCheck) OnRTP(pkt *rtp.Packet, _ time.Time) {
	if pkt.PayloadType != c.pt {
		panic("a packet of another payload type reached the handler")
	}
}
func (payloadTypeCheck) OnTick(time.Time) {}
func (payloadTypeCheck) OnClose(error)    {}

const seedOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
	"a=ice-ufrag:pubr\r\na=ice-pwd:publisherpublisherpubli\r\n" +
	"a=fingerprint:sha-256 3E:1F:9F:A2:28:A3:B8:54:0C:44:B7:6E:B5:1C:D6:14:25:E0:1E:46:BF:CB:5E:63:0E:7A:A8:D4:C3:9E:AA:1B\r\n" +
	"a=setup:actpass\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n" +
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
