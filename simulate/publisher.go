package simulate

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// opusCodec is what simulated participants send: Opus 48 kHz, 20 ms
// frames, in-band FEC, payload type 111 (as browsers do).
var opusCodec = webrtc.RTPCodecCapability{
	MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
}

// NewPublisher builds a send-only Opus PeerConnection that offers NACK for
// audio, with the interceptors a publisher needs: Pion's NACK responder
// (retransmits what the server asks for) and RTCP sender reports. Pion's
// other defaults (stats, receive-side TWCC, simulcast) cost CPU per packet
// and do nothing for a sender, which matters when one process runs
// hundreds of them (callrec bench live). configure, if not nil, runs first: interceptors it adds sit below
// the default ones, nearest the wire. A goroutine reads RTCP, so that the
// interceptors run, until the PeerConnection closes. se may be nil.
func NewPublisher(se *webrtc.SettingEngine, streamID string,
	configure func(*webrtc.MediaEngine, *interceptor.Registry) error) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP, error) {
	var me webrtc.MediaEngine
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, nil, err
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeAudio)
	var ir interceptor.Registry
	if configure != nil {
		if err := configure(&me, &ir); err != nil {
			return nil, nil, err
		}
	}
	if err := webrtc.ConfigureNack(&me, &ir); err != nil {
		return nil, nil, err
	}
	if err := webrtc.ConfigureRTCPReports(&ir); err != nil {
		return nil, nil, err
	}
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(&ir)}
	if se != nil {
		opts = append(opts, webrtc.WithSettingEngine(*se))
	}
	pc, err := webrtc.NewAPI(opts...).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(opusCodec, "audio", streamID)
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Sender().Read(buf); err != nil {
				return
			}
		}
	}()
	return pc, track, nil
}
