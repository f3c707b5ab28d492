package callautomation

import (
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/acswire"
)

// StartRecordingOptions is what to record and how. Give CallLocator or
// CallConnectionID; zero-valued fields are left out of the request and take
// the server's defaults.
type StartRecordingOptions struct {
	// CallLocator names the call to record (for callrec: ServerCallLocator).
	CallLocator CallLocator
	// CallConnectionID records the call of an ACS call connection instead.
	CallConnectionID string
	// RecordingStateCallbackURI receives RecordingStateChanged events.
	RecordingStateCallbackURI string
	RecordingContent          RecordingContent
	RecordingChannel          RecordingChannel
	RecordingFormat           RecordingFormat
	// AudioChannelParticipantOrdering is the order in which participants
	// take unmixed channels.
	AudioChannelParticipantOrdering []CommunicationIdentifier
	// ChannelAffinity pins participants to unmixed channels.
	ChannelAffinity []ChannelAffinity
	// PauseOnStart starts the recording paused; nil leaves it out.
	PauseOnStart *bool
	// ExternalStorage asks for the recording's files in your own
	// container as well (ACS's bring-your-own-storage): an Azure Blob
	// container, or an S3 bucket (s3://bucket, a callrec extension), which
	// the server's operator must have allowed (docs/byos.md); otherwise
	// 400 ExternalStorageNotSupported or
	// RecordingDestinationContainerUrlNotAllowed.
	ExternalStorage *ExternalStorage
	// PauseBehavior is callrec's extension: cut (default) or silence.
	PauseBehavior PauseBehavior
	// RepeatabilityRequestID is the idempotency key of this start: the
	// server answers a repeated id with the recording it started the first
	// time. Empty means a new random UUID per Start call, as the official
	// SDKs do.
	RepeatabilityRequestID string
	// RepeatabilityFirstSent is when the request was first sent; zero
	// means now. Give the original time when reusing an id.
	RepeatabilityFirstSent time.Time
}

// ChannelAffinity pins Participant to an unmixed audio channel (0–4 on ACS).
type ChannelAffinity struct {
	// Channel is the channel number; nil lets the server choose.
	Channel     *int
	Participant CommunicationIdentifier
}

// NewChannelAffinity pins participant to channel.
func NewChannelAffinity(participant CommunicationIdentifier, channel int) ChannelAffinity {
	return ChannelAffinity{Channel: &channel, Participant: participant}
}

// ExternalStorage is ACS's bring-your-own-storage option.
type ExternalStorage struct {
	Kind         RecordingStorageKind
	ContainerURL string
}

// requestBody converts the options to the wire request, checking what can
// be checked without the server.
func (o *StartRecordingOptions) requestBody() (*acswire.StartCallRecordingRequest, error) {
	if o.CallLocator == nil && o.CallConnectionID == "" {
		return nil, fmt.Errorf("callautomation: StartRecordingOptions needs a CallLocator or a CallConnectionID")
	}
	req := &acswire.StartCallRecordingRequest{
		CallConnectionID:          o.CallConnectionID,
		RecordingStateCallbackURI: o.RecordingStateCallbackURI,
		RecordingContentType:      string(o.RecordingContent),
		RecordingChannelType:      string(o.RecordingChannel),
		RecordingFormatType:       string(o.RecordingFormat),
		PauseOnStart:              o.PauseOnStart,
		PauseBehavior:             string(o.PauseBehavior),
	}
	if o.CallLocator != nil {
		req.CallLocator = o.CallLocator.wire()
	}
	for i, p := range o.AudioChannelParticipantOrdering {
		if p == nil {
			return nil, fmt.Errorf("callautomation: AudioChannelParticipantOrdering[%d] is nil", i)
		}
		req.AudioChannelParticipantOrdering = append(req.AudioChannelParticipantOrdering, p.wire())
	}
	for i, a := range o.ChannelAffinity {
		if a.Participant == nil {
			return nil, fmt.Errorf("callautomation: ChannelAffinity[%d].Participant is nil", i)
		}
		participant := a.Participant.wire()
		req.ChannelAffinity = append(req.ChannelAffinity, acswire.ChannelAffinity{Channel: a.Channel, Participant: &participant})
	}
	if o.ExternalStorage != nil {
		req.ExternalStorage = &acswire.ExternalStorage{
			RecordingStorageKind:             string(o.ExternalStorage.Kind),
			RecordingDestinationContainerURL: o.ExternalStorage.ContainerURL,
		}
	}
	return req, nil
}
