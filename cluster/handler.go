package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/httperr"
)

// Local is this node's own control plane (service.Service): what the
// other nodes ask it to do runs here, never forwarded again.
type Local interface {
	callrec.CallService
	callrec.RecordingService
	Answerer
	Connector
}

// maxInternalBody bounds an internal request's body (a start request).
const maxInternalBody = 1 << 20

// Handler serves the other nodes' requests under /internal/cluster/,
// each signed with the shared access key: create a call here, end one,
// start, pause, resume and stop a recording of a call here, answer,
// reject or redirect a call that rings here, hang up, list, add, remove
// or mute the participants of a call connection whose call is here, and
// read or delete a document this node holds.
func Handler(local Local, content callrec.ContentStore, key []byte) http.Handler {
	v := &hmacauth.Verifier{Key: key}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.VerifyHeaders(r, hmacauth.QuerySigned); err != nil {
			writeError(w, err)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxInternalBody+1))
		if err != nil || len(body) > maxInternalBody {
			writeError(w, callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "internal request body unreadable or too large"))
			return
		}
		if err := hmacauth.VerifyBody(r, body); err != nil {
			writeError(w, err)
			return
		}
		if err := serveInternal(w, r, body, local, content); err != nil {
			writeError(w, err)
		}
	})
}

func serveInternal(w http.ResponseWriter, r *http.Request, body []byte, local Local, content callrec.ContentStore) error {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), internalPrefix), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "bad internal path %q", r.URL.EscapedPath())
		}
		segs[i] = u
	}
	ctx := r.Context()
	switch {
	case r.Method == http.MethodPost && len(segs) == 1 && segs[0] == "calls":
		var in struct{ ID string }
		if err := json.Unmarshal(body, &in); err != nil {
			return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "internal create: %v", err)
		}
		c, err := local.CreateCall(ctx, in.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, c)
	case r.Method == http.MethodPost && len(segs) == 3 && segs[0] == "calls" && segs[2] == "end":
		return local.EndCall(ctx, segs[1])
	case r.Method == http.MethodPost && len(segs) == 1 && segs[0] == "recordings":
		var in callrec.StartRecording
		if err := json.Unmarshal(body, &in); err != nil {
			return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "internal start: %v", err)
		}
		rec, err := local.StartRecording(ctx, in)
		if err != nil {
			return err
		}
		return writeJSON(w, rec)
	case r.Method == http.MethodPost && len(segs) == 3 && segs[0] == "recordings":
		switch segs[2] {
		case "pause":
			return local.PauseRecording(ctx, segs[1])
		case "resume":
			return local.ResumeRecording(ctx, segs[1])
		case "stop":
			return local.StopRecording(ctx, segs[1])
		}
	case r.Method == http.MethodPost && len(segs) == 2 && segs[0] == "incoming":
		return serveIncoming(ctx, w, segs[1], body, local)
	case len(segs) >= 3 && segs[0] == "connections":
		return serveConnection(ctx, w, r.Method, segs[1], segs[2:], body, local)
	case len(segs) >= 2 && segs[0] == "objects" && content != nil:
		return serveObject(w, r, segs[1:], content)
	}
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRouteNotFound, "no internal route for %s %s", r.Method, r.URL.Path)
}

// serveIncoming answers, rejects or redirects a call ringing here.
func serveIncoming(ctx context.Context, w http.ResponseWriter, verb string, body []byte, local Local) error {
	bad := func(err error) error {
		return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidRequest, "internal %s: %v", verb, err)
	}
	switch verb {
	case "answer":
		var in callrec.AnswerCall
		if err := json.Unmarshal(body, &in); err != nil {
			return bad(err)
		}
		c, err := local.AnswerCall(ctx, in)
		if err != nil {
			return err
		}
		return writeJSON(w, c)
	case "reject":
		var in rejectIn
		if err := json.Unmarshal(body, &in); err != nil {
			return bad(err)
		}
		return local.RejectCall(ctx, in.IncomingCallContext, in.Reason)
	case "redirect":
		var in redirectIn
		if err := json.Unmarshal(body, &in); err != nil {
			return bad(err)
		}
		return local.RedirectCall(ctx, in.IncomingCallContext, in.Target)
	}
	return callrec.Errorf(callrec.KindNotFound, callrec.CodeRouteNotFound, "no internal route for incoming/%s", verb)
}

// serveObject reads (GET, HEAD, with ranges) or deletes a document of this
// node's content store.
func serveObject(w http.ResponseWriter, r *http.Request, segs []string, content callrec.ContentStore) error {
	doc := segs[0]
	switch {
	case r.Method == http.MethodDelete && len(segs) == 1:
		return content.DeleteDocument(r.Context(), doc)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && len(segs) == 2:
		c, err := content.OpenContent(r.Context(), doc, segs[1])
		if err != nil {
			return err
		}
		defer c.Close()
		if c.ContentType != "" {
			w.Header().Set("Content-Type", c.ContentType)
		}
		if c.ETag != "" {
			w.Header().Set("ETag", c.ETag)
		}
		w.Header().Set("X-Callrec-Size", strconv.FormatInt(c.Size, 10))
		http.ServeContent(w, r, "", c.ModTime, c)
		return nil
	}
	return callrec.Errorf(callrec.KindMethodNotAllowed, callrec.CodeMethodNotAllowed, "%s not allowed on an internal object", r.Method)
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var ce *callrec.Error
	if !errors.As(err, &ce) {
		ce = callrec.Internal(err, "internal error")
	}
	var we wireError
	we.Error.Kind, we.Error.Code, we.Error.Message, we.Error.Target = ce.Kind, ce.Code, ce.Message, ce.Target
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httperr.Status(ce.Kind))
	json.NewEncoder(w).Encode(we)
}
