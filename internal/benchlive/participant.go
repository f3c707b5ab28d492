package benchlive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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
	connected := make(chan struct{})
	failed := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			closeOnce(connected)
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			closeOnce(failed)
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	whip := endpoint + "/calls/" + url.PathEscape(callID) + "/whip"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, whip, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("WHIP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("WHIP 201 without a usable Location: %w", err)
	}
	p.location = loc.String()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return fmt.Errorf("WHIP answer: %w", err)
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
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, p.location, nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+p.token)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		cancel()
		p.location = ""
	}
	if p.pc != nil {
		p.pc.Close()
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
