package siprec

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/sip"
)

// Calls is what the recording server needs of the call service.
// callrec.CallService implements it.
type Calls interface {
	CreateCall(ctx context.Context, id string) (*callrec.Call, error)
	Call(ctx context.Context, id string) (*callrec.Call, error)
	EndCall(ctx context.Context, id string) error
	JoinParticipant(ctx context.Context, callID, rawID string) error
	LeaveParticipant(ctx context.Context, callID, rawID string) error
}

// Recordings is what the recording server needs of the recording
// service: starting the policy's recording, and finding one already
// running. callrec.RecordingService implements it.
type Recordings interface {
	StartRecording(ctx context.Context, req callrec.StartRecording) (*callrec.Recording, error)
	ListRecordings(ctx context.Context, q callrec.RecordingQuery) (*callrec.RecordingPage, error)
}

// Annotator keeps a recording's SIPREC metadata (the callrec block of its
// metadata documents and of its RecordingFileStatusUpdated event). The
// service implements it; nil keeps none.
type Annotator interface {
	AnnotateRecording(ctx context.Context, recordingID string, block []byte) error
}

// DefaultRecord is the default recording policy: unmixed WAV, one channel
// per participant in metadata order.
const DefaultRecord = "unmixed-wav"

// Policy is what callrec records of a SIPREC session by itself.
type Policy struct {
	// Off: nothing until an app starts a recording of the call.
	Off     bool
	Channel callrec.RecordingChannel
	Format  callrec.RecordingFormat
}

// ParsePolicy reads the --siprec-record setting: "off", or a channel type
// and a format, "unmixed-wav" [DefaultRecord], "mixed-wav", "mixed-mp3".
func ParsePolicy(s string) (Policy, error) {
	if s == "" {
		s = DefaultRecord
	}
	if strings.EqualFold(s, "off") {
		return Policy{Off: true}, nil
	}
	ch, f, ok := strings.Cut(s, "-")
	channel, ok1 := callrec.ParseChannel(ch)
	format, ok2 := callrec.ParseFormat(f)
	if !ok || !ok1 || !ok2 || format == callrec.FormatMp4 || (channel == callrec.ChannelUnmixed && format != callrec.FormatWav) {
		return Policy{}, fmt.Errorf("siprec: recording policy %q: want off, unmixed-wav, mixed-wav or mixed-mp3", s)
	}
	return Policy{Channel: channel, Format: format}, nil
}

// Config configures a Server. Every field but Annotator and Logger is
// required.
type Config struct {
	Endpoint   *sip.Endpoint
	Hub        *callmedia.Hub
	Calls      Calls
	Recordings Recordings
	Annotator  Annotator
	Policy     Policy
	Logger     *slog.Logger
}
