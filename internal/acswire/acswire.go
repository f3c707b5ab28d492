// Package acswire holds the JSON models of the ACS Call Recording REST API
// and its events, exactly as they travel on the wire (camelCase, ACS enum
// spellings). The server (httpapi) and the Go SDK (callautomation) share
// them so that both speak the same bytes.
package acswire

import (
	"encoding/json"
	"time"
)

// CallLocator identifies the call to record.
type CallLocator struct {
	Kind         string `json:"kind,omitempty"` // serverCallLocator | groupCallLocator | roomCallLocator
	ServerCallID string `json:"serverCallId,omitempty"`
	GroupCallID  string `json:"groupCallId,omitempty"`
	RoomID       string `json:"roomId,omitempty"`
}

// CommunicationIdentifier is CommunicationIdentifierModel.
type CommunicationIdentifier struct {
	Kind               string              `json:"kind,omitempty"`
	RawID              string              `json:"rawId,omitempty"`
	CommunicationUser  *CommunicationUser  `json:"communicationUser,omitempty"`
	PhoneNumber        *PhoneNumber        `json:"phoneNumber,omitempty"`
	MicrosoftTeamsUser *MicrosoftTeamsUser `json:"microsoftTeamsUser,omitempty"`
	MicrosoftTeamsApp  *MicrosoftTeamsApp  `json:"microsoftTeamsApp,omitempty"`
	TeamsExtensionUser *TeamsExtensionUser `json:"teamsExtensionUser,omitempty"`
}

// CommunicationUser is an ACS user identity.
type CommunicationUser struct {
	ID string `json:"id"`
}

// PhoneNumber is a PSTN identity.
type PhoneNumber struct {
	Value       string `json:"value"`
	IsAnonymous *bool  `json:"isAnonymous,omitempty"`
	AssertedID  string `json:"assertedId,omitempty"`
}

// MicrosoftTeamsUser is a Teams user identity.
type MicrosoftTeamsUser struct {
	UserID      string `json:"userId"`
	IsAnonymous *bool  `json:"isAnonymous,omitempty"`
	Cloud       string `json:"cloud,omitempty"`
}

// MicrosoftTeamsApp is a Teams app identity.
type MicrosoftTeamsApp struct {
	AppID string `json:"appId"`
	Cloud string `json:"cloud,omitempty"`
}

// TeamsExtensionUser is a Teams Phone extension identity.
type TeamsExtensionUser struct {
	UserID     string `json:"userId"`
	TenantID   string `json:"tenantId"`
	ResourceID string `json:"resourceId"`
	Cloud      string `json:"cloud,omitempty"`
}

// ChannelAffinity pins a participant to a channel.
type ChannelAffinity struct {
	Channel     *int                     `json:"channel,omitempty"`
	Participant *CommunicationIdentifier `json:"participant,omitempty"`
}

// ExternalStorage is the bring-your-own-storage option.
type ExternalStorage struct {
	RecordingStorageKind             string `json:"recordingStorageKind,omitempty"`
	RecordingDestinationContainerURL string `json:"recordingDestinationContainerUrl,omitempty"`
}

// StartCallRecordingRequest is the body of POST /calling/recordings.
type StartCallRecordingRequest struct {
	CallLocator                     *CallLocator              `json:"callLocator,omitempty"`
	CallConnectionID                string                    `json:"callConnectionId,omitempty"`
	RecordingStateCallbackURI       string                    `json:"recordingStateCallbackUri,omitempty"`
	RecordingContentType            string                    `json:"recordingContentType,omitempty"`
	RecordingChannelType            string                    `json:"recordingChannelType,omitempty"`
	RecordingFormatType             string                    `json:"recordingFormatType,omitempty"`
	AudioChannelParticipantOrdering []CommunicationIdentifier `json:"audioChannelParticipantOrdering,omitempty"`
	ChannelAffinity                 []ChannelAffinity         `json:"channelAffinity,omitempty"`
	PauseOnStart                    *bool                     `json:"pauseOnStart,omitempty"`
	ExternalStorage                 *ExternalStorage          `json:"externalStorage,omitempty"`
	// PauseBehavior is a callrec extension: "cut" (default) or "silence".
	PauseBehavior string `json:"pauseBehavior,omitempty"`
}

// RecordingStateResponse answers start and get state.
type RecordingStateResponse struct {
	RecordingID    string `json:"recordingId"`
	RecordingState string `json:"recordingState"`
	RecordingKind  string `json:"recordingKind"`
}

// RecordingChunk is one chunk in a result or RecordingFileStatusUpdated.
type RecordingChunk struct {
	DocumentID       string `json:"documentId"`
	Index            int    `json:"index"`
	EndReason        string `json:"endReason"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
	DeleteLocation   string `json:"deleteLocation"`
	// Deleted is a callrec extension on the result route: true once the
	// chunk's files were deleted (through deleteLocation or by retention).
	Deleted bool `json:"deleted,omitempty"`
}

// RecordingStorageInfo lists the chunks of a recording.
type RecordingStorageInfo struct {
	RecordingChunks []RecordingChunk `json:"recordingChunks"`
}

// RecordingResultResponse answers GET /calling/recordings/{id}/result.
type RecordingResultResponse struct {
	RecordingID             string               `json:"recordingId"`
	RecordingStorageInfo    RecordingStorageInfo `json:"recordingStorageInfo"`
	Errors                  []ErrorDetail        `json:"errors,omitempty"`
	RecordingStartTime      *time.Time           `json:"recordingStartTime,omitempty"`
	RecordingDurationMs     *int64               `json:"recordingDurationMs,omitempty"`
	SessionEndReason        string               `json:"sessionEndReason,omitempty"`
	RecordingExpirationTime *time.Time           `json:"recordingExpirationTime,omitempty"`
}

// ErrorDetail is the error object of CommunicationErrorResponse.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// ErrorResponse is CommunicationErrorResponse. On content routes callrec
// also sets the top-level Status and Message that the JS SDK's downloader
// reads.
type ErrorResponse struct {
	Error   ErrorDetail `json:"error"`
	Status  int         `json:"status,omitempty"`
	Message string      `json:"message,omitempty"`
}

// ResultInformation is the outcome attached to call automation events.
type ResultInformation struct {
	Code    int    `json:"code"`
	SubCode int    `json:"subCode"`
	Message string `json:"message"`
}

// RecordingStateChangedData is the data of RecordingStateChanged.
type RecordingStateChangedData struct {
	RecordingID       string             `json:"recordingId"`
	State             string             `json:"state"`
	StartDateTime     time.Time          `json:"startDateTime"`
	RecordingKind     string             `json:"recordingKind"`
	CallConnectionID  string             `json:"callConnectionId,omitempty"`
	ServerCallID      string             `json:"serverCallId"`
	CorrelationID     string             `json:"correlationId"`
	ResultInformation *ResultInformation `json:"resultInformation,omitempty"`
	Version           string             `json:"version,omitempty"`
	PublicEventType   string             `json:"publicEventType,omitempty"`
}

// CloudEvent is a structured-mode CloudEvents 1.0 envelope.
type CloudEvent struct {
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	SpecVersion     string `json:"specversion"`
	DataContentType string `json:"datacontenttype,omitempty"`
	Time            string `json:"time"`
	Subject         string `json:"subject,omitempty"`
	Data            any    `json:"data"`
}

// EventGridEvent is the Event Grid schema envelope.
type EventGridEvent struct {
	ID              string `json:"id"`
	Topic           string `json:"topic"`
	Subject         string `json:"subject"`
	EventType       string `json:"eventType"`
	DataVersion     string `json:"dataVersion"`
	MetadataVersion string `json:"metadataVersion"`
	EventTime       string `json:"eventTime"`
	Data            any    `json:"data"`
}

// RecordingFileStatusUpdatedData is the data of the Event Grid system event
// Microsoft.Communication.RecordingFileStatusUpdated. Enum values in it are
// PascalCase (SessionEnded, Audio, Mixed, Wav), unlike the REST API.
type RecordingFileStatusUpdatedData struct {
	RecordingStorageInfo RecordingStorageInfo `json:"recordingStorageInfo"`
	RecordingStartTime   time.Time            `json:"recordingStartTime"`
	RecordingDurationMs  int64                `json:"recordingDurationMs"`
	SessionEndReason     string               `json:"sessionEndReason"`
	RecordingContentType string               `json:"recordingContentType"`
	RecordingChannelType string               `json:"recordingChannelType"`
	RecordingFormatType  string               `json:"recordingFormatType"`
	RecordingID          string               `json:"recordingId,omitempty"`
	ServerCallID         string               `json:"serverCallId,omitempty"`
	// Callrec is the recording's callrec block (a SIPREC session's
	// metadata), when it has one (callrec extension).
	Callrec json.RawMessage `json:"callrec,omitempty"`
	// StorageType is where the files are, for a recording started with
	// externalStorage (ACS's bring-your-own-storage): "AzureBlob" once
	// exported, "AzureCommunicationServices" when the export failed.
	StorageType string `json:"storageType,omitempty"`
	// ExternalStorage says where the files were exported and how it went
	// (callrec extension).
	ExternalStorage *ExternalStorageStatus `json:"externalStorage,omitempty"`
}

// ExternalStorageStatus is the outcome of a recording's export to its
// external storage (callrec extension of RecordingFileStatusUpdated).
type ExternalStorageStatus struct {
	RecordingStorageKind             string `json:"recordingStorageKind"`
	RecordingDestinationContainerURL string `json:"recordingDestinationContainerUrl"`
	// Folder holds the exported blobs, ACS's
	// YYYYMMDD/callId/<recordingId prefix>-<guid>.
	Folder   string `json:"folder"`
	Exported bool   `json:"exported"`
	// Error says why the export failed for good.
	Error string `json:"error,omitempty"`
}
