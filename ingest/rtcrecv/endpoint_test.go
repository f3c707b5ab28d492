package rtcrecv_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/callrec/callrec/ingest/rtcrecv"
)

// recorder is a Handler that keeps what it is given.
type recorder struct {
	mu       sync.Mutex
	payloads [][]byte
	seqs     []uint16
	ticks    int
	closed   chan error
}

func newRecorder() *recorder { return &recorder{closed: make(chan error, 1)} }

func (r *recorder) OnRTP(pkt *rtp.Packet, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, bytes.Clone(pkt.Payload))
	r.seqs = append(r.seqs, pkt.SequenceNumber)
}

func (r *recorder) OnTick(time.Time) {
	r.mu.Lock()
	r.ticks++
	r.mu.Unlock()
}

func (r *recorder) OnClose(err error) { r.closed <- err }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.payloads)
}

// loopbackPublisher is a Pion peer that sends Opus over 127.0.0.1 only.
func loopbackPublisher(t *testing.T, withVideo bool, onRTCP func(rtcp.Packet)) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticSample) {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeAudio)
	var ir interceptor.Registry
	if err := webrtc.RegisterDefaultInterceptors(&me, &ir); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(&me, &ir); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(&ir),
		webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "pub")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if onRTCP != nil {
					onRTCP(p)
				}
			}
		}
	}()
	if withVideo {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	return pc, track
}

func connect(t *testing.T, ep *rtcrecv.Endpoint, pc *webrtc.PeerConnection, h rtcrecv.Handler) (*rtcrecv.Peer, string) {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	peer, answer, err := ep.Accept(pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	peer.Start(h)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatalf("%v\n%s", err, answer)
	}
	return peer, answer
}

func listen(t *testing.T) *rtcrecv.Endpoint {
	t.Helper()
	ep, err := rtcrecv.Listen(rtcrecv.Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ep
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPionPublisherDeliversAudio: a Pion publisher connects (ICE-lite,
// DTLS, SRTP), its audio payloads reach the handler in order and intact,
// transport-wide congestion control feedback comes back, and closing the
// publisher closes the peer.
func TestPionPublisherDeliversAudio(t *testing.T) {
	ep := listen(t)
	var feedback sync.Once
	gotFeedback := make(chan struct{})
	pc, track := loopbackPublisher(t, true, func(p rtcp.Packet) {
		if _, ok := p.(*rtcp.TransportLayerCC); ok {
			feedback.Do(func() { close(gotFeedback) })
		}
	})
	rec := newRecorder()
	peer, answer := connect(t, ep, pc, rec)
	for _, want := range []string{"a=ice-lite", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9", "a=recvonly", "a=setup:passive", "transport-cc", "a=rtcp-fb:111 nack", "a=candidate:1 1 udp"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	waitFor(t, 10*time.Second, "connected", func() bool {
		return pc.ConnectionState() == webrtc.PeerConnectionStateConnected && peer.Connected()
	})
	const n = 100
	for i := range n {
		if err := track.WriteSample(media.Sample{Data: []byte{0xfc, byte(i), 0xaa, 0x55}, Duration: 20 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, 5*time.Second, "100 packets", func() bool { return rec.count() >= n })
	rec.mu.Lock()
	for i, p := range rec.payloads[:n] {
		if !bytes.Equal(p, []byte{0xfc, byte(i), 0xaa, 0x55}) {
			t.Fatalf("payload %d = %x", i, p)
		}
		if i > 0 && rec.seqs[i] != rec.seqs[i-1]+1 {
			t.Fatalf("sequence %d follows %d", rec.seqs[i], rec.seqs[i-1])
		}
	}
	rec.mu.Unlock()
	select {
	case <-gotFeedback:
	case <-time.After(3 * time.Second):
		t.Error("no TWCC feedback reached the publisher")
	}
	_ = pc.Close()
	select {
	case err := <-rec.closed:
		if err != rtcrecv.ErrRemoteClosed {
			t.Errorf("closed with %v, want ErrRemoteClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the peer did not close after the publisher did")
	}
	<-peer.Done()
}

// TestCloseEndsPeer: Close runs OnClose with a nil error, and Done closes.
func TestCloseEndsPeer(t *testing.T) {
	ep := listen(t)
	pc, _ := loopbackPublisher(t, false, nil)
	rec := newRecorder()
	peer, _ := connect(t, ep, pc, rec)
	waitFor(t, 10*time.Second, "connected", peer.Connected)
	peer.Close()
	select {
	case err := <-rec.closed:
		if err != nil {
			t.Errorf("OnClose(%v), want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("OnClose did not run")
	}
	<-peer.Done()
	if rec.ticks == 0 {
		t.Error("the handler was never ticked")
	}
}

// TestStartAfterClose: a peer that closed before it was started (its
// session's join failed, say) closes the late handler at once.
func TestStartAfterClose(t *testing.T) {
	ep := listen(t)
	pc, _ := loopbackPublisher(t, false, nil)
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	peer, _, err := ep.Accept(offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	peer.Close()
	<-peer.Done()
	rec := newRecorder()
	peer.Start(rec)
	select {
	case err := <-rec.closed:
		if err != nil {
			t.Errorf("OnClose(%v), want nil", err)
		}
	default:
		t.Fatal("Start on a closed peer did not close the handler")
	}
}

// TestNarrowPortRange: with room for one socket only, the endpoint runs one
// worker on that port rather than failing; with none, Listen fails.
func TestNarrowPortRange(t *testing.T) {
	probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(probe.LocalAddr().(*net.UDPAddr).Port)
	probe.Close()
	ep, err := rtcrecv.Listen(rtcrecv.Config{LoopbackOnly: true, Workers: 2, UDPPortMin: port, UDPPortMax: port})
	if err != nil {
		t.Fatalf("one free port: %v", err)
	}
	defer ep.Close()
	pc, _ := loopbackPublisher(t, false, nil)
	rec := newRecorder()
	peer, answer := connect(t, ep, pc, rec)
	if want := fmt.Sprintf(" 127.0.0.1 %d typ host", port); !strings.Contains(answer, want) {
		t.Errorf("answer lacks %q:\n%s", want, answer)
	}
	waitFor(t, 10*time.Second, "connected", peer.Connected)
	if _, err := rtcrecv.Listen(rtcrecv.Config{LoopbackOnly: true, UDPPortMin: port, UDPPortMax: port}); !errors.Is(err, rtcrecv.ErrPortRange) {
		t.Errorf("Listen with its only port taken: %v, want ErrPortRange", err)
	}
}
