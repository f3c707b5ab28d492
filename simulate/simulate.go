package simulate

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/jointoken"
)

// Options describe one simulated participant.
type Options struct {
	// Endpoint is callrec's base URL (http://host:port). Empty means the
	// connection string's endpoint.
	Endpoint string
	// Token is the join token. Empty means: mint one from ConnectionString's
	// access key, as `callrec token` does.
	Token            string
	ConnectionString string
	CallID           string
	Participant      string // ACS raw id, e.g. 8:acs:…
	// DisplayName is sent with the join (the WHIP URL's name) and shown on
	// the synthetic video; empty means none (the picture shows the raw id
	// without its prefix, as the composite's label does).
	DisplayName string
	// Source is "tone:<Hz>", "silence" or a WAV file path (see LoadClip),
	// optionally followed by ",video:<colour>" (one of VideoColors): the
	// participant then also sends a synthetic VP8 video (video.go) that
	// flashes every FlashPeriod, and a tone or silence beeps with it.
	Source string
	// Duration of streaming; zero means 10 s.
	Duration time.Duration
	// Loss is the probability (0–1) that an RTP packet is dropped on its way
	// out, below the NACK responder, as on a lossy network: the receiver
	// can recover it by NACK (retransmissions are dropped at the same rate).
	Loss float64
	// Jitter delays each packet by a uniform random time in [0, Jitter].
	Jitter time.Duration
	// Seed makes loss and jitter repeatable; zero derives it from
	// Participant.
	Seed uint64
	// SettingEngine configures ICE (see SettingEngine; tests use
	// LoopbackSettingEngine()).
	SettingEngine *webrtc.SettingEngine
	// ConnectTimeout bounds WHIP + ICE + DTLS; zero means 10 s.
	ConnectTimeout time.Duration
	HTTPClient     *http.Client
	Logger         *slog.Logger
}

// Result reports what one participant did.
type Result struct {
	Participant string
	Location    string    // the WHIP session URL
	Connected   time.Time // when the PeerConnection connected
	// Started is when packet 0 was due: the moment the participant began
	// sending, on the wall clock.
	Started time.Time
	// FirstSent is when packet 0 was really written, and MaxLate the most
	// any packet was written after it was due (Jitter included): on a
	// loaded machine the sender runs late, and a receiver places the
	// stream where its packets really arrived, from Started to FirstSent.
	FirstSent time.Time
	MaxLate   time.Duration
	Sent      int // packets written, retransmissions not counted
	Dropped   int // packets dropped on the wire, retransmissions included
	// VideoFrames and Keyframes count the synthetic video's frames sent.
	VideoFrames, Keyframes int
}

// Streamed is how much audio the participant sent: one packet per frame.
func (r Result) Streamed() time.Duration { return time.Duration(r.Sent) * frameInterval }

// ErrNotConnected is a WHIP session whose media connection (ICE, DTLS)
// did not come up: mostly the two ends have no address in common.
var ErrNotConnected = errors.New("simulate: media not connected")

// Join joins the call, streams the source for Duration (or until ctx is
// done, or the server hangs up: ErrCallEnded when the call ended, or
// *Disconnected), then leaves with DELETE. The returned Result is filled
// in as far as the run got, also on error.
func Join(ctx context.Context, o Options) (Result, error) {
	res := Result{Participant: o.Participant}
	if err := o.defaults(); err != nil {
		return res, err
	}
	audioSource, videoColour, err := SplitSource(o.Source)
	if err != nil {
		return res, err
	}
	if videoColour != "" && (strings.HasPrefix(audioSource, "tone:") || audioSource == "silence") {
		audioSource += BeepSuffix
	}
	clip, err := LoadClip(audioSource)
	if err != nil {
		return res, err
	}
	loss := &wireLoss{loss: o.Loss, seed: o.Seed}
	pc, track, err := o.newPeerConnection(loss, videoColour != "")
	if err != nil {
		return res, err
	}
	defer pc.Close()
	var video *videoSender
	if videoColour != "" {
		if video, err = newVideoSender(ctx, pc, cmp.Or(o.DisplayName, o.Participant), videoColour); err != nil {
			return res, err
		}
		defer video.Close()
	}

	connected, failed := ConnectionStates(pc)

	connectCtx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	location, err := Publish(connectCtx, o.HTTPClient, WHIPURL(o.Endpoint, o.CallID, o.DisplayName), o.Token, pc)
	if err != nil {
		return res, err
	}
	res.Location = location
	defer o.leave(location)
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	ended := watchSession(watchCtx, o.HTTPClient, location, o.Token)

	select {
	case <-connected:
		res.Connected = time.Now()
	case err := <-ended:
		return res, err
	case <-failed:
		return res, fmt.Errorf("%w: the peer connection failed", ErrNotConnected)
	case <-connectCtx.Done():
		return res, fmt.Errorf("%w after %s: %w", ErrNotConnected, o.ConnectTimeout, connectCtx.Err())
	}
	if video != nil {
		if err := video.prime(ctx, o.ConnectTimeout); err != nil {
			return res, err
		}
	}
	res.Started = time.Now()
	var videoErr error
	videoDone := make(chan struct{})
	videoCtx, stopVideo := context.WithCancel(ctx)
	if video != nil {
		go func() {
			defer close(videoDone)
			videoErr = video.run(videoCtx, res.Started, o.Duration)
		}()
	} else {
		close(videoDone)
	}
	err = o.stream(ctx, track, clip, &res, failed, ended)
	stopVideo()
	<-videoDone
	if video != nil {
		video.mu.Lock()
		res.VideoFrames, res.Keyframes = video.sent, video.keyframes
		video.mu.Unlock()
	}
	res.Dropped = int(loss.dropped.Load())
	if err == nil && videoErr != nil {
		err = videoErr
	}
	return res, err
}

// SeedOf is the default seed of a participant's loss, jitter and RTP
// numbering: derived from its rawId, so that runs repeat.
func SeedOf(participant string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(participant))
	return h.Sum64()
}

// ConnectionStates watches pc (it takes its OnConnectionStateChange):
// connected closes when it connects, failed when it fails or closes.
func ConnectionStates(pc *webrtc.PeerConnection) (connected, failed <-chan struct{}) {
	c, f := make(chan struct{}), make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			closeOnce(c)
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			closeOnce(f)
		}
	})
	return c, f
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (o *Options) defaults() error {
	if o.CallID == "" || o.Participant == "" {
		return errors.New("simulate: CallID and Participant are required")
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Loss < 0 || o.Loss >= 1 {
		return fmt.Errorf("simulate: loss %v is not in [0, 1)", o.Loss)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Seed == 0 {
		o.Seed = SeedOf(o.Participant)
	}
	if o.Endpoint == "" || o.Token == "" {
		if o.ConnectionString == "" {
			return errors.New("simulate: give Endpoint and Token, or a ConnectionString")
		}
		cs, err := hmacauth.ParseConnectionString(o.ConnectionString)
		if err != nil {
			return err
		}
		if o.Endpoint == "" {
			o.Endpoint = cs.Endpoint.String()
		}
		if o.Token == "" {
			o.Token, _ = jointoken.Mint(cs.Key, o.CallID, o.Participant, o.Duration+time.Hour, time.Now())
		}
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	return nil
}

// newPeerConnection builds the participant's publisher, with the wire-loss
// interceptor below the default ones when loss is simulated.
func (o *Options) newPeerConnection(loss *wireLoss, video bool) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP, error) {
	return NewPublisher(o.SettingEngine, "callrec-simulate", func(me *webrtc.MediaEngine, ir *interceptor.Registry) error {
		if video {
			if err := registerVP8(me); err != nil {
				return err
			}
		}
		if o.Loss > 0 {
			ir.Add(loss)
		}
		return nil
	})
}

// WHIPError is a WHIP request that callrec refused.
type WHIPError struct {
	Status  int
	Code    string
	Message string
}

func (e *WHIPError) Error() string {
	return fmt.Sprintf("WHIP: %d %s: %s", e.Status, e.Code, e.Message)
}

// WHIPURL is callrec's WHIP endpoint for callID at endpoint (its base
// URL), with the participant's display name if not empty.
func WHIPURL(endpoint, callID, displayName string) string {
	u := strings.TrimRight(endpoint, "/") + "/calls/" + url.PathEscape(callID) + "/whip"
	if displayName != "" {
		u += "?" + url.Values{"name": {displayName}}.Encode()
	}
	return u
}

// Publish offers pc (with all its candidates) to a callrec WHIP endpoint
// (WHIPURL), authorised by a join token, applies the answer and returns
// the session's location (for Leave). A refusal is a *WHIPError.
func Publish(ctx context.Context, client *http.Client, whip, token string, pc *webrtc.PeerConnection) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	answer, loc, err := PublishSDP(ctx, client, whip, token, pc.LocalDescription().SDP)
	if err != nil {
		return loc, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return loc, fmt.Errorf("WHIP answer: %w", err)
	}
	return loc, nil
}

// PublishSDP posts an SDP offer to a callrec WHIP endpoint (WHIPURL),
// authorised by a join token, and returns the answer and the session's
// location (for Leave). A refusal is a *WHIPError.
func PublishSDP(ctx context.Context, client *http.Client, whip, token, offer string) (answer, location string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, whip, strings.NewReader(offer))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", "", whipError(resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		return "", "", fmt.Errorf("WHIP: 201 without a usable Location: %w", err)
	}
	return string(body), loc.String(), nil
}

func whipError(status int, body []byte) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return &WHIPError{Status: status, Message: string(bytes.TrimSpace(body))}
	}
	return &WHIPError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
}

// leave ends the WHIP session; it runs even when the caller's context is
// done, so that the server records the leave at once.
func (o *Options) leave(location string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Leave(ctx, o.HTTPClient, location, o.Token); err != nil {
		o.Logger.Warn("WHIP DELETE failed", "participant", o.Participant, "err", err)
	}
}

// Leave ends a WHIP session (DELETE on its location); the server records
// the participant's leave.
func Leave(ctx context.Context, client *http.Client, location, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, location, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// stream sends the clip's packets on their schedule for o.Duration.
func (o *Options) stream(ctx context.Context, track *webrtc.TrackLocalStaticRTP, clip *Clip, res *Result, failed <-chan struct{}, ended <-chan error) error {
	seq0, ts0 := uint16(o.Seed>>16), uint32(o.Seed>>32)
	stop := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case err := <-ended:
			stop <- err
		case <-failed:
			stop <- errors.New("simulate: the peer connection failed while streaming")
		case <-done:
		}
	}()
	return Stream(ctx, int(o.Duration/frameInterval), o.Jitter, o.Seed, res, stop, func(i int) error {
		pkt := &rtp.Packet{
			Header: rtp.Header{
				Version: 2, PayloadType: 111, Marker: i == 0,
				SequenceNumber: seq0 + uint16(i),
				Timestamp:      ts0 + uint32(i*960),
			},
			Payload: clip.Packet(i),
		}
		if err := track.WriteRTP(pkt); err != nil {
			return fmt.Errorf("simulate: send: %w", err)
		}
		return nil
	})
}
