package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// routeRecordings serves /calling/recordings[/{id}[:pause|:resume][/result]];
// GET /calling/recordings lists recordings (a callrec extension, list.go).
func (s *Server) routeRecordings(w http.ResponseWriter, r *http.Request, segs []string, body []byte) error {
	ctx := r.Context()
	switch len(segs) {
	case 0:
		if r.Method == http.MethodGet {
			return s.listRecordings(w, r)
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, r, http.MethodGet, http.MethodPost)
		}
		return s.startRecording(w, r, body)
	case 1:
		seg, action := segs[0], ""
		// ':' inside an id always arrives escaped (%3A), so the last literal
		// ':' introduces the action.
		if i := strings.LastIndexByte(seg, ':'); i >= 0 {
			seg, action = seg[:i], seg[i+1:]
		}
		id, err := unescapeID(seg)
		if err != nil {
			return err
		}
		switch action {
		case "":
			switch r.Method {
			case http.MethodGet:
				rec, err := s.cfg.Recordings.Recording(ctx, id)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, stateResponse(rec))
				return nil
			case http.MethodDelete:
				if err := s.cfg.Recordings.StopRecording(ctx, id); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}
			return methodNotAllowed(w, r, http.MethodGet, http.MethodDelete)
		case "pause", "resume":
			if r.Method != http.MethodPost {
				return methodNotAllowed(w, r, http.MethodPost)
			}
			op := s.cfg.Recordings.PauseRecording
			if action == "resume" {
				op = s.cfg.Recordings.ResumeRecording
			}
			if err := op(ctx, id); err != nil {
				return err
			}
			w.WriteHeader(http.StatusAccepted)
			return nil
		}
	case 2:
		if segs[1] != "result" {
			break
		}
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		id, err := unescapeID(segs[0])
		if err != nil {
			return err
		}
		rec, err := s.cfg.Recordings.RecordingResult(ctx, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.resultResponse(ctx, rec))
		return nil
	}
	return routeNotFound(r)
}

func (s *Server) startRecording(w http.ResponseWriter, r *http.Request, body []byte) error {
	var req acswire.StartCallRecordingRequest
	if err := decodeJSON(r, body, &req); err != nil {
		return err
	}
	start, err := parseStartRequest(&req, s.cfg.DefaultFormat)
	if err != nil {
		return err
	}
	start.RepeatabilityID = r.Header.Get("Repeatability-Request-ID")
	rec, err := s.cfg.Recordings.StartRecording(r.Context(), start)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stateResponse(rec))
	return nil
}

func stateResponse(rec *callrec.Recording) acswire.RecordingStateResponse {
	return acswire.RecordingStateResponse{
		RecordingID:    rec.ID,
		RecordingState: string(rec.State),
		RecordingKind:  acswire.RecordingKindACS,
	}
}

func (s *Server) resultResponse(ctx context.Context, rec *callrec.Recording) acswire.RecordingResultResponse {
	chunks := acswire.ChunkLocations(s.cfg.PublicURL, rec, false)
	for i := range chunks {
		chunks[i].Deleted = s.documentDeleted(ctx, chunks[i].DocumentID)
	}
	out := acswire.RecordingResultResponse{
		RecordingID:          rec.ID,
		RecordingStorageInfo: acswire.RecordingStorageInfo{RecordingChunks: chunks},
		RecordingStartTime:   &rec.StartedAt,
		SessionEndReason:     callrec.EndReasonStillOngoing,
	}
	if rec.Stopped {
		d := acswire.RecordedMs(rec)
		out.RecordingDurationMs = &d
		out.SessionEndReason = rec.EndReason
	}
	return out
}
