package callautomation

// RecordingContent is what a recording captures.
type RecordingContent string

// RecordingChannel says whether participants share one mixed channel or get
// one channel each.
type RecordingChannel string

// RecordingFormat is the container of the recorded file.
type RecordingFormat string

// RecordingState is active while recording, inactive while paused.
type RecordingState string

// RecordingKind says which product made the recording.
type RecordingKind string

// PauseBehavior says what a pause leaves in the file. It is a callrec
// extension; ACS always cuts the paused span.
type PauseBehavior string

// RecordingStorageKind says where finished recordings are stored.
type RecordingStorageKind string

// Values, spelled as on the ACS REST wire. The server compares them
// case-insensitively; unknown values are passed through, so newer server
// values can be sent and received without an SDK update.
const (
	RecordingContentAudio      RecordingContent = "audio"
	RecordingContentAudioVideo RecordingContent = "audioVideo"

	RecordingChannelMixed   RecordingChannel = "mixed"
	RecordingChannelUnmixed RecordingChannel = "unmixed"

	RecordingFormatWav RecordingFormat = "wav"
	RecordingFormatMp3 RecordingFormat = "mp3"
	RecordingFormatMp4 RecordingFormat = "mp4"

	RecordingStateActive   RecordingState = "active"
	RecordingStateInactive RecordingState = "inactive"

	RecordingKindAzureCommunicationServices RecordingKind = "azureCommunicationServices"
	RecordingKindTeams                      RecordingKind = "teams"
	RecordingKindTeamsCompliance            RecordingKind = "teamsCompliance"

	// PauseBehaviorCut removes paused spans from the file, as ACS does.
	PauseBehaviorCut PauseBehavior = "cut"
	// PauseBehaviorSilence keeps paused spans as silence, so the file's
	// timeline matches the call's.
	PauseBehaviorSilence PauseBehavior = "silence"

	RecordingStorageKindAzureCommunicationServices RecordingStorageKind = "azureCommunicationServices"
	RecordingStorageKindAzureBlobStorage           RecordingStorageKind = "azureBlobStorage"
	RecordingStorageKindS3                         RecordingStorageKind = "s3" // callrec extension: ContainerURL s3://bucket
)
