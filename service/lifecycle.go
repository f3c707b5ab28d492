package service

import (
	"encoding/json"
	"time"

	"github.com/callrec/callrec"
)

// Lifecycle event types. ACS publishes no Event Grid events for these
// moments (its RecordingStateChanged is a per-recording callback only), so
// they carry callrec's own prefix. Subscribers that want them list them, or
// subscribe with no type filter.
const (
	EventRecordingStarted      = "Callrec.Recording.Started"
	EventRecordingPaused       = "Callrec.Recording.Paused"
	EventRecordingResumed      = "Callrec.Recording.Resumed"
	EventRecordingStopped      = "Callrec.Recording.Stopped"
	EventCallParticipantJoined = "Callrec.Call.ParticipantJoined"
	EventCallParticipantLeft   = "Callrec.Call.ParticipantLeft"
	lifecycleDataVersion       = "1.0"
	participantsSegment        = "/participants/"
)

// RecordingLifecycleData is the data of the Callrec.Recording.* events.
type RecordingLifecycleData struct {
	RecordingID   string    `json:"recordingId"`
	ServerCallID  string    `json:"serverCallId"`
	State         string    `json:"state"`
	StartDateTime time.Time `json:"startDateTime"`
	// EndReason is set on Stopped (SessionEnded, CallEnded, …).
	EndReason string `json:"endReason,omitempty"`
	// ChunkCount is set on Stopped: the files the recording produced.
	ChunkCount *int `json:"chunkCount,omitempty"`
}

// ParticipantLifecycleData is the data of the Callrec.Call.Participant*
// events.
type ParticipantLifecycleData struct {
	ServerCallID string `json:"serverCallId"`
	Participant  string `json:"participant"`
}

// recordingSubject is the subject of every event about recording r; it
// shares the prefix "/recording/call/{serverCallId}" with ACS's
// RecordingFileStatusUpdated, so one subject filter selects a call's events.
func recordingSubject(r *callrec.Recording) string {
	return "/recording/call/" + r.Spec.ServerCallID + "/serverCallId/" + r.Spec.ServerCallID + "/recordingId/" + r.ID
}

// recordingLifecycle builds the lifecycle event of type typ for r.
func (s *Service) recordingLifecycle(typ string, r *callrec.Recording, at time.Time) callrec.Outgoing {
	d := RecordingLifecycleData{
		RecordingID: r.ID, ServerCallID: r.Spec.ServerCallID, State: string(r.State), StartDateTime: r.StartedAt.UTC(),
	}
	if typ == EventRecordingStopped {
		n := len(r.Chunks)
		d.EndReason, d.ChunkCount = r.EndReason, &n
	}
	data, _ := json.Marshal(d)
	return callrec.Outgoing{Event: callrec.Event{
		ID: newUUID(), Type: typ, Source: s.resourceID(), Subject: recordingSubject(r),
		Time: at, DataVersion: lifecycleDataVersion, Data: data,
	}}
}

// participantLifecycle builds a participant joined/left event.
func (s *Service) participantLifecycle(typ, callID, rawID string, at time.Time) callrec.Outgoing {
	data, _ := json.Marshal(ParticipantLifecycleData{ServerCallID: callID, Participant: rawID})
	return callrec.Outgoing{Event: callrec.Event{
		ID: newUUID(), Type: typ, Source: s.resourceID(), Subject: "/call/" + callID + participantsSegment + rawID,
		Time: at, DataVersion: lifecycleDataVersion, Data: data,
	}}
}

// stateLifecycleType names the lifecycle event of a pause or resume.
func stateLifecycleType(to callrec.RecordingState) string {
	if to == callrec.StateInactive {
		return EventRecordingPaused
	}
	return EventRecordingResumed
}
