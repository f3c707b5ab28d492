package benchlive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/callrec/callrec/simulate"
)

// participant is one simulated publisher: a send-only Opus PeerConnection
// joined to a call over WHIP. Its packets are sent by its call's pacer.
type participant struct {
	rawID    string
	freq     int
	clip     *clip
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticRTP
	probe    *delayProbe
	location string // WHIP session URL
	token    string
	seq0     uint16
	ts0      uint32

	// Written by the pacer goroutine only; read after it has stopped.
	sent     int
	sendErrs int
	first    time.Time // when its first packet was due
	last     time.Time // when its last packet was due
}

// newPeerConnection builds the participant's publisher with the transport-wide
// sequence number extension (so that the server sends TWCC feedback) and the
// delay probe innermost, where it sees packets after the extension is set.
func newPeerConnection(se webrtc.SettingEngine, probe *delayProbe) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP, error) {
	return simulate.NewPublisher(&se, "callrec-bench", func(me *webrtc.MediaEngine, ir *interceptor.Registry) error {
		ir.Add(probe)
		return webrtc.ConfigureTWCCHeaderExtensionSender(me, ir)
	})
}

// join publishes the participant over WHIP and waits until its
// PeerConnection is connected.
func (p *participant) join(ctx context.Context, client *http.Client, endpoint, callID string, se webrtc.SettingEngine) error {
	p.probe = newDelayProbe()
	pc, track, err := newPeerConnection(se, p.probe)
	if err != nil {
		return err
	}
	p.pc, p.track = pc, track
	connected, failed := simulate.ConnectionStates(pc)
	if p.location, err = simulate.Publish(ctx, client, endpoint, callID, p.token, pc); err != nil {
		return err
	}
	select {
	case <-connected:
		return nil
	case <-failed:
		return errors.New("the peer connection failed before connecting")
	case <-ctx.Done():
		return fmt.Errorf("not connected: %w", ctx.Err())
	}
}

// leave ends the WHIP session (the server records the leave) and closes
// the PeerConnection. A second leave sends nothing.
func (p *participant) leave(client *http.Client) {
	if p.location != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = simulate.Leave(ctx, client, p.location, p.token)
		cancel()
		p.location = ""
	}
	if p.pc != nil {
		p.pc.Close()
	}
}
