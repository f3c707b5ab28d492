package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"

	"github.com/callrec/callrec/simulate"
)

// Options describe one simulated phone.
type Options struct {
	DialOptions
	// Source is "tone:<Hz>", "silence" or a WAV path (see LoadClip).
	Source string
	// Duration of streaming; zero means 10 s.
	Duration time.Duration
	// Loss is the probability (0–1) that a packet is dropped before
	// sending (plain RTP: nothing recovers it).
	Loss float64
	// Jitter delays each packet by a uniform random time in [0, Jitter].
	Jitter time.Duration
	// Seed makes loss, jitter and the RTP numbering repeatable; zero
	// derives it from Participant.
	Seed uint64
}

// Result is what a phone did: the fields a WebRTC participant reports
// (Location is the SIP dialog's Call-ID) and what callrec's RTCP receiver
// reports said.
type Result struct {
	simulate.Result
	Reports Reports
}

// Join calls callrec, streams the source for Duration (or until ctx is
// done, or callrec hangs up: then simulate.ErrCallEnded), and hangs up.
// The Result is filled in as far as the run got, also on error.
func Join(ctx context.Context, o Options) (Result, error) {
	res := Result{Result: simulate.Result{Participant: o.Participant}}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Loss < 0 || o.Loss >= 1 {
		return res, fmt.Errorf("sipphone: loss %v is not in [0, 1)", o.Loss)
	}
	if o.Codec == "" {
		o.Codec = PCMU
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Seed == 0 {
		o.Seed = simulate.SeedOf(o.Participant)
	}
	clip, err := LoadClip(o.Codec, o.Source)
	if err != nil {
		return res, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	call, err := Dial(dialCtx, o.DialOptions)
	cancel()
	if err != nil {
		return res, err
	}
	defer call.Close()
	res.Location = call.session.InviteRequest.CallID().Value()
	res.Connected = time.Now()
	reports := call.ReadReports()
	err = stream(ctx, call, clip, o, &res.Result)
	if errors.Is(err, simulate.ErrCallEnded) {
		res.Reports = reports.Stop()
		return res, err
	}
	if herr := call.Hangup(context.WithoutCancel(ctx)); herr != nil {
		o.Logger.Warn("BYE failed", "participant", o.Participant, "err", herr)
	}
	res.Reports = reports.Stop()
	return res, err
}

// stream sends the clip's packets on their schedule for o.Duration.
func stream(ctx context.Context, call *Call, clip *Clip, o Options, res *simulate.Result) error {
	seq0, ts0, ssrc := uint16(o.Seed>>16), uint32(o.Seed>>32), uint32(o.Seed)
	rng := rand.New(rand.NewPCG(o.Seed, ^o.Seed))
	stop := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-call.Ended():
			stop <- simulate.ErrCallEnded
		case <-done:
		}
	}()
	buf := make([]byte, 12, 12+TimestampStep)
	pt, step := clip.Codec.PayloadType(), clip.Codec.Step()
	return simulate.Stream(ctx, int(o.Duration/simulate.FrameInterval), o.Jitter, o.Seed, res, stop, func(i int) error {
		if o.Loss > 0 && rng.Float64() < o.Loss {
			res.Dropped++
			return simulate.ErrSkipped
		}
		h := rtp.Header{Version: 2, PayloadType: pt, Marker: i == 0, SSRC: ssrc,
			SequenceNumber: seq0 + uint16(i), Timestamp: ts0 + uint32(i)*step}
		n, err := h.MarshalTo(buf[:12])
		if err != nil {
			return err
		}
		if _, err := call.RTP.WriteToUDPAddrPort(append(buf[:n], clip.Packet(i)...), call.Media); err != nil {
			return fmt.Errorf("sipphone: send: %w", err)
		}
		return nil
	})
}
