package acswire

import "strings"

// The Call Automation call-control models (api-version 2025-06-15 and
// 2026-03-12 shapes, as the JS SDK 1.5.1 and 1.6.0 send and read them).

// CallConnectionProperties answers createCall (201), answerCall (200) and
// GET /calling/callConnections/{id}.
type CallConnectionProperties struct {
	CallConnectionID     string                    `json:"callConnectionId"`
	ServerCallID         string                    `json:"serverCallId,omitempty"`
	Targets              []CommunicationIdentifier `json:"targets"`
	CallConnectionState  string                    `json:"callConnectionState"`
	CallbackURI          string                    `json:"callbackUri"`
	SourceCallerIDNumber *PhoneNumber              `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName    string                    `json:"sourceDisplayName"`
	Source               *CommunicationIdentifier  `json:"source,omitempty"`
	CorrelationID        string                    `json:"correlationId"`
	AnsweredFor          *PhoneNumber              `json:"answeredFor,omitempty"`
}

// AnswerCallRequest is the body of POST /calling/callConnections:answer.
type AnswerCallRequest struct {
	IncomingCallContext string             `json:"incomingCallContext"`
	CallbackURI         string             `json:"callbackUri"`
	OperationContext    string             `json:"operationContext,omitempty"`
	AnsweredBy          *CommunicationUser `json:"answeredBy,omitempty"`
}

// RejectCallRequest is the body of POST /calling/callConnections:reject.
type RejectCallRequest struct {
	IncomingCallContext string `json:"incomingCallContext"`
	CallRejectReason    string `json:"callRejectReason,omitempty"`
}

// RedirectCallRequest is the body of POST /calling/callConnections:redirect.
type RedirectCallRequest struct {
	IncomingCallContext string                   `json:"incomingCallContext"`
	Target              *CommunicationIdentifier `json:"target"`
}

// CustomCallingContext carries SIP and VoIP headers of an outbound leg.
type CustomCallingContext struct {
	SIPHeaders  map[string]string `json:"sipHeaders,omitempty"`
	VoIPHeaders map[string]string `json:"voipHeaders,omitempty"`
}

// CreateCallRequest is the body of POST /calling/callConnections.
type CreateCallRequest struct {
	Targets              []CommunicationIdentifier `json:"targets"`
	CallbackURI          string                    `json:"callbackUri"`
	SourceCallerIDNumber *PhoneNumber              `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName    string                    `json:"sourceDisplayName,omitempty"`
	Source               *CommunicationUser        `json:"source,omitempty"`
	OperationContext     string                    `json:"operationContext,omitempty"`
	CustomCallingContext *CustomCallingContext     `json:"customCallingContext,omitempty"`
}

// CallParticipant is one participant of a call connection's call.
type CallParticipant struct {
	Identifier CommunicationIdentifier `json:"identifier"`
	IsMuted    bool                    `json:"isMuted"`
	IsOnHold   bool                    `json:"isOnHold"`
}

// GetParticipantsResponse answers GET …/participants.
type GetParticipantsResponse struct {
	Value    []CallParticipant `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

// AddParticipantRequest is the body of POST …/participants:add.
type AddParticipantRequest struct {
	ParticipantToAdd          *CommunicationIdentifier `json:"participantToAdd"`
	SourceCallerIDNumber      *PhoneNumber             `json:"sourceCallerIdNumber,omitempty"`
	SourceDisplayName         string                   `json:"sourceDisplayName,omitempty"`
	InvitationTimeoutInSecond *int                     `json:"invitationTimeoutInSeconds,omitempty"`
	OperationContext          string                   `json:"operationContext,omitempty"`
	OperationCallbackURI      string                   `json:"operationCallbackUri,omitempty"`
	CustomCallingContext      *CustomCallingContext    `json:"customCallingContext,omitempty"`
}

// AddParticipantResponse answers participants:add (202).
type AddParticipantResponse struct {
	OperationContext string           `json:"operationContext,omitempty"`
	Participant      *CallParticipant `json:"participant,omitempty"`
	InvitationID     string           `json:"invitationId,omitempty"`
}

// RemoveParticipantRequest is the body of POST …/participants:remove.
type RemoveParticipantRequest struct {
	ParticipantToRemove  *CommunicationIdentifier `json:"participantToRemove"`
	OperationContext     string                   `json:"operationContext,omitempty"`
	OperationCallbackURI string                   `json:"operationCallbackUri,omitempty"`
}

// MuteParticipantsRequest is the body of POST …/participants:mute.
type MuteParticipantsRequest struct {
	TargetParticipants []CommunicationIdentifier `json:"targetParticipants"`
	OperationContext   string                    `json:"operationContext,omitempty"`
}

// OperationContextResponse answers participants:remove (202) and
// participants:mute (200).
type OperationContextResponse struct {
	OperationContext string `json:"operationContext,omitempty"`
}

// CallEventData is the data of the Call Automation callback events
// (CallConnected, CallDisconnected, ParticipantsUpdated, AddParticipant*,
// RemoveParticipant*, CreateCallFailed, AnswerFailed).
type CallEventData struct {
	OperationContext  string                   `json:"operationContext,omitempty"`
	Participant       *CommunicationIdentifier `json:"participant,omitempty"`
	Participants      []CallParticipant        `json:"participants,omitempty"`
	SequenceNumber    *int                     `json:"sequenceNumber,omitempty"`
	InvitationID      string                   `json:"invitationId,omitempty"`
	ResultInformation *ResultInformation       `json:"resultInformation,omitempty"`
	Version           string                   `json:"version"`
	CallConnectionID  string                   `json:"callConnectionId"`
	ServerCallID      string                   `json:"serverCallId"`
	CorrelationID     string                   `json:"correlationId"`
	PublicEventType   string                   `json:"publicEventType"`
}

// CustomContext is IncomingCall's customContext.
type CustomContext struct {
	SIPHeaders  map[string]string `json:"sipHeaders"`
	VoIPHeaders map[string]string `json:"voipHeaders"`
}

// IncomingCallData is the data of the Event Grid system event
// Microsoft.Communication.IncomingCall.
type IncomingCallData struct {
	To                  CommunicationIdentifier `json:"to"`
	From                CommunicationIdentifier `json:"from"`
	ServerCallID        string                  `json:"serverCallId"`
	CallerDisplayName   string                  `json:"callerDisplayName"`
	CustomContext       CustomContext           `json:"customContext"`
	IncomingCallContext string                  `json:"incomingCallContext"`
	CorrelationID       string                  `json:"correlationId"`
}

// Identifier returns the full identifier model of a raw id, as responses
// and events carry it: kind, rawId and the typed sub-object. "4:+…" is a
// phone number, "8:acs:…" an ACS user; anything else (a SIP URI) is kind
// "unknown" with its rawId.
func Identifier(raw string) CommunicationIdentifier {
	if number, ok := strings.CutPrefix(raw, "4:"); ok {
		anonymous := number == "anonymous"
		return CommunicationIdentifier{Kind: "phoneNumber", RawID: raw,
			PhoneNumber: &PhoneNumber{Value: number, IsAnonymous: &anonymous}}
	}
	for _, prefix := range []string{"8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:"} {
		if strings.HasPrefix(raw, prefix) {
			return CommunicationIdentifier{Kind: "communicationUser", RawID: raw, CommunicationUser: &CommunicationUser{ID: raw}}
		}
	}
	return CommunicationIdentifier{Kind: "unknown", RawID: raw}
}
