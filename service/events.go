package service

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
	"github.com/callrec/callrec/internal/acswire"
)

const recordingKind = "azureCommunicationServices"

// storageType values of a RecordingFileStatusUpdated event of a recording
// with externalStorage.
const (
	storageTypeAzureBlob = "AzureBlob"
	storageTypeS3        = "S3" // callrec extension
	storageTypeOwn       = "AzureCommunicationServices"
)

// stateChanged builds the RecordingStateChanged event for r's current state,
// addressed to its callback URI when it has one.
func (s *Service) stateChanged(r *callrec.Recording, at time.Time) callrec.Outgoing {
	data, _ := json.Marshal(acswire.RecordingStateChangedData{
		RecordingID:       r.ID,
		State:             string(r.State),
		StartDateTime:     r.StartedAt.UTC(),
		RecordingKind:     recordingKind,
		CallConnectionID:  r.Spec.CallConnectionID,
		ServerCallID:      r.Spec.ServerCallID,
		CorrelationID:     r.ID,
		ResultInformation: &acswire.ResultInformation{Code: 200, SubCode: 0, Message: "Recording state changed to " + string(r.State) + "."},
		Version:           "2025-06-15",
		PublicEventType:   callrec.EventRecordingStateChanged,
	})
	o := callrec.Outgoing{Event: callrec.Event{
		ID:      newUUID(),
		Type:    callrec.EventRecordingStateChanged,
		Source:  "calling/recordings/" + r.ID,
		Subject: "calling/recordings/" + r.ID,
		Time:    at,
		Data:    data,
	}}
	if r.Spec.CallbackURI != "" {
		o.Targets = []callrec.Target{{URL: r.Spec.CallbackURI, Schema: callrec.SchemaCloudEventsArray}}
	}
	return o
}

// fileStatusUpdated builds the RecordingFileStatusUpdated event for a stopped
// recording: one event per recording session listing all its chunks.
func (s *Service) fileStatusUpdated(r *callrec.Recording, at time.Time) callrec.Outgoing {
	return s.fileStatusExported(r, at, nil)
}

// fileStatusExported is fileStatusUpdated for a recording with
// externalStorage whose export ended with out: ACS's storageType
// ("AzureBlob" once exported to an Azure container, "S3" to an S3 bucket,
// "AzureCommunicationServices" when the export failed and the files are
// only in callrec's own store, downloadable from the chunks' locations as
// always) and callrec's externalStorage block saying where and why.
func (s *Service) fileStatusExported(r *callrec.Recording, at time.Time, out *byos.Outcome) callrec.Outgoing {
	info := acswire.RecordingStorageInfo{RecordingChunks: acswire.ChunkLocations(s.cfg.PublicURL, r, true)}
	var duration int64
	for _, c := range r.Chunks {
		duration += c.DurationMs
	}
	d := acswire.RecordingFileStatusUpdatedData{
		RecordingStorageInfo: info,
		RecordingStartTime:   r.StartedAt.UTC(),
		RecordingDurationMs:  duration,
		SessionEndReason:     acswire.Pascal(r.EndReason),
		RecordingContentType: acswire.Pascal(string(r.Spec.Content)),
		RecordingChannelType: acswire.Pascal(string(r.Spec.Channel)),
		RecordingFormatType:  acswire.Pascal(string(r.Spec.Format)),
		RecordingID:          r.ID,
		ServerCallID:         r.Spec.ServerCallID,
		Callrec:              r.Spec.Extension,
	}
	if es := r.Spec.ExternalStorage; es != nil && out != nil {
		d.StorageType = storageTypeOwn
		if out.Exported {
			d.StorageType = storageTypeAzureBlob
			if es.Kind == callrec.StorageS3 {
				d.StorageType = storageTypeS3
			}
		}
		d.ExternalStorage = &acswire.ExternalStorageStatus{
			RecordingStorageKind:             string(es.Kind),
			RecordingDestinationContainerURL: es.ContainerURL,
			Folder:                           es.Folder,
			Exported:                         out.Exported,
			Error:                            out.Error,
		}
	}
	data, _ := json.Marshal(d)
	return callrec.Outgoing{Event: callrec.Event{
		ID:          fileEventID(r.ID),
		Type:        callrec.EventRecordingFileStatusUpdated,
		Source:      s.resourceID(),
		Subject:     recordingSubject(r),
		Time:        at,
		DataVersion: "1.0",
		Data:        data,
	}}
}

func (s *Service) resourceID() string {
	if s.cfg.ResourceID != "" {
		return s.cfg.ResourceID
	}
	return "/callrec/" + strings.TrimPrefix(strings.TrimPrefix(s.cfg.PublicURL, "https://"), "http://")
}
