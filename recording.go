package callrec

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// RecordingContent is what a recording captures.
type RecordingContent string

// RecordingChannel is how participants map to audio channels.
type RecordingChannel string

// RecordingFormat is the container of the recorded file.
type RecordingFormat string

// RecordingState is the ACS-visible state: active, or inactive while paused.
type RecordingState string

// PauseBehavior says what a pause leaves in the file (callrec extension).
type PauseBehavior string

// Enum values, spelled as on the ACS REST wire (lower camel case).
const (
	ContentAudio      RecordingContent = "audio"
	ContentAudioVideo RecordingContent = "audioVideo"

	ChannelMixed   RecordingChannel = "mixed"
	ChannelUnmixed RecordingChannel = "unmixed"

	FormatWav RecordingFormat = "wav"
	FormatMp3 RecordingFormat = "mp3"
	FormatMp4 RecordingFormat = "mp4"

	StateActive   RecordingState = "active"
	StateInactive RecordingState = "inactive"

	PauseCut     PauseBehavior = "cut"
	PauseSilence PauseBehavior = "silence"
)

// Session end reasons (CallSessionEndReason, lower camel on the REST wire).
const (
	EndReasonStillOngoing     = "sessionStillOngoing"
	EndReasonSessionEnded     = "sessionEnded"
	EndReasonCallEnded        = "callEnded"
	EndReasonServiceRestarted = "serviceRestarted"
	// EndReasonStorageFull (a callrec extension) ends a recording whose disk
	// filled up: its last chunk holds what was written before.
	EndReasonStorageFull = "storageFull"
	// EndReasonNodeLost (a callrec extension) ends a recording whose node
	// stopped renewing its lease: another node sharing the database ended
	// its call and kept the chunks it could finalize.
	EndReasonNodeLost = "nodeLost"
)

// MaxUnmixedChannels is the ACS limit on channelAffinity channels (0..4).
const MaxUnmixedChannels = 5

// ChannelAffinity pins a participant (by rawId) to an unmixed channel.
type ChannelAffinity struct {
	Channel     int    `json:"channel"`
	Participant string `json:"participant"`
}

// RecordingSpec is what a client asked for when starting a recording,
// after validation and with defaults applied.
type RecordingSpec struct {
	ServerCallID     string            `json:"serverCallId"`
	CallConnectionID string            `json:"callConnectionId,omitempty"`
	Content          RecordingContent  `json:"content"`
	Channel          RecordingChannel  `json:"channel"`
	Format           RecordingFormat   `json:"format"`
	CallbackURI      string            `json:"callbackUri,omitempty"`
	ChannelOrder     []string          `json:"channelOrder,omitempty"`
	ChannelAffinity  []ChannelAffinity `json:"channelAffinity,omitempty"`
	PauseOnStart     bool              `json:"pauseOnStart"`
	PauseBehavior    PauseBehavior     `json:"pauseBehavior"`
	// ExternalStorage is the customer's container the recording's files
	// are exported to once stored (ACS's bring-your-own-storage); nil
	// keeps them in callrec's store alone.
	ExternalStorage *ExternalStorage `json:"externalStorage,omitempty"`
	// Extension is the callrec block of the recording's metadata
	// documents and RecordingFileStatusUpdated event (a JSON object, e.g.
	// {"siprec": …}); set by the server, never by a client.
	Extension json.RawMessage `json:"extension,omitempty"`
}

// StorageKind is an externalStorage recordingStorageKind naming a
// customer's container.
type StorageKind string

// Storage kinds of a destination: ACS's Azure Blob container, and an S3
// bucket (a callrec extension).
const (
	StorageAzureBlob StorageKind = "azureBlobStorage"
	StorageS3        StorageKind = "s3"
)

// ExternalStorage is where a recording's files are exported.
type ExternalStorage struct {
	Kind StorageKind `json:"kind"`
	// ContainerURL is the destination as the client named it, normalized
	// (lower-case scheme and host, no trailing slash).
	ContainerURL string `json:"containerUrl"`
	// Folder is the recording's folder in the container, set when the
	// recording starts (ACS's layout: YYYYMMDD/callId/first 8 characters
	// of the recording id-guid).
	Folder string `json:"folder,omitempty"`
}

// PauseInterval is one paused span of a recording.
type PauseInterval struct {
	Start    time.Time     `json:"startTime"`
	Duration time.Duration `json:"duration"`
}

// Recording is one recording session of a call.
type Recording struct {
	ID              string          `json:"recordingId"`
	Spec            RecordingSpec   `json:"spec"`
	State           RecordingState  `json:"state"`
	Stopped         bool            `json:"stopped"`
	RepeatabilityID string          `json:"repeatabilityId,omitempty"`
	StartedAt       time.Time       `json:"startedAt"`
	StoppedAt       *time.Time      `json:"stoppedAt,omitempty"`
	EndReason       string          `json:"endReason,omitempty"`
	Pauses          []PauseInterval `json:"pauses,omitempty"`
	Chunks          []Chunk         `json:"chunks,omitempty"`
}

// Chunk is one recorded file of a recording with its metadata document.
type Chunk struct {
	DocumentID string    `json:"documentId"`
	Index      int       `json:"index"`
	EndReason  string    `json:"endReason"`
	StartTime  time.Time `json:"startTime"`
	DurationMs int64     `json:"durationMs"`
	SHA256     string    `json:"sha256,omitempty"`
	// Unstored marks a chunk of a stopped recording whose upload to the
	// recordings store had not succeeded at the stop: it is listed (and
	// served from the recording node's spool) at once, and its
	// RecordingFileStatusUpdated event waits until every chunk is stored
	// (and, for a recording with ExternalStorage, exported).
	Unstored bool `json:"unstored,omitempty"`
}

// StartRecording is a validated request to start a recording.
type StartRecording struct {
	Spec            RecordingSpec
	RepeatabilityID string // idempotency key; same key, same recording
}

// RecordingService is the ACS recording control plane.
type RecordingService interface {
	StartRecording(ctx context.Context, req StartRecording) (*Recording, error)
	// Recording returns a recording that has not been stopped (404 otherwise).
	Recording(ctx context.Context, id string) (*Recording, error)
	PauseRecording(ctx context.Context, id string) error
	ResumeRecording(ctx context.Context, id string) error
	StopRecording(ctx context.Context, id string) error
	// RecordingResult returns any recording, stopped or not, with its chunks.
	RecordingResult(ctx context.Context, id string) (*Recording, error)
	// ListRecordings returns a page of recordings, stopped or not, oldest
	// first.
	ListRecordings(ctx context.Context, q RecordingQuery) (*RecordingPage, error)
}

// ParseContent parses a recordingContentType case-insensitively.
func ParseContent(s string) (RecordingContent, bool) {
	for _, v := range []RecordingContent{ContentAudio, ContentAudioVideo} {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// ParseChannel parses a recordingChannelType case-insensitively.
func ParseChannel(s string) (RecordingChannel, bool) {
	for _, v := range []RecordingChannel{ChannelMixed, ChannelUnmixed} {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// ParseFormat parses a recordingFormatType case-insensitively.
func ParseFormat(s string) (RecordingFormat, bool) {
	for _, v := range []RecordingFormat{FormatWav, FormatMp3, FormatMp4} {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// ParsePauseBehavior parses the pauseBehavior extension case-insensitively.
func ParsePauseBehavior(s string) (PauseBehavior, bool) {
	for _, v := range []PauseBehavior{PauseCut, PauseSilence} {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// Validate checks the combination rules of the start request (listed in
// docs/acs-compatibility.md) on a spec whose enums are already parsed. maxChannels is the unmixed channel limit in force.
func (s *RecordingSpec) Validate(maxChannels int) error {
	if s.Channel == ChannelUnmixed && s.Format != FormatWav {
		return FieldErrorf("recordingFormatType", "InvalidRecordingFormatType",
			"recordingFormatType %q is not supported with recordingChannelType unmixed; use wav", s.Format)
	}
	if s.Content == ContentAudioVideo && s.Format != FormatMp4 {
		return FieldErrorf("recordingFormatType", "InvalidRecordingFormatType",
			"recordingContentType audioVideo requires recordingFormatType mp4, not %q", s.Format)
	}
	if s.Content == ContentAudio && s.Format == FormatMp4 {
		return FieldErrorf("recordingFormatType", "InvalidRecordingFormatType",
			"recordingFormatType mp4 requires recordingContentType audioVideo")
	}
	if len(s.ChannelAffinity) > 0 && s.Channel != ChannelUnmixed {
		return FieldErrorf("channelAffinity", "InvalidChannelAffinity",
			"channelAffinity is only allowed with recordingChannelType unmixed")
	}
	channels := map[int]bool{}
	people := map[string]bool{}
	for i, a := range s.ChannelAffinity {
		if a.Channel < 0 || a.Channel >= maxChannels {
			return FieldErrorf("channelAffinity", "InvalidChannelAffinity",
				"channelAffinity[%d].channel %d is out of range 0..%d", i, a.Channel, maxChannels-1)
		}
		if channels[a.Channel] {
			return FieldErrorf("channelAffinity", "InvalidChannelAffinity",
				"channelAffinity[%d].channel %d is used more than once", i, a.Channel)
		}
		if a.Participant == "" {
			return FieldErrorf("channelAffinity", "InvalidChannelAffinity",
				"channelAffinity[%d].participant is missing", i)
		}
		if people[a.Participant] {
			return FieldErrorf("channelAffinity", "InvalidChannelAffinity",
				"channelAffinity[%d].participant %q is pinned more than once", i, a.Participant)
		}
		channels[a.Channel] = true
		people[a.Participant] = true
	}
	return nil
}
