package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/callrec/callrec"
)

// EventAdmin manages event subscriptions, dead letters and the event feed
// (implemented by service.Subscriptions).
type EventAdmin interface {
	Put(ctx context.Context, s callrec.Subscription) (*callrec.Subscription, bool, error)
	Get(ctx context.Context, name string) (*callrec.Subscription, error)
	List(ctx context.Context) ([]*callrec.Subscription, error)
	Delete(ctx context.Context, name string) error
	ValidateByURL(ctx context.Context, name, token string) error
	DeadLetters(ctx context.Context, limit int) ([]callrec.Delivery, error)
	Replay(ctx context.Context, id int64) error
	EventsAfter(ctx context.Context, after int64, limit int) ([]callrec.Event, []int64, error)
	LastEventPosition(ctx context.Context) (int64, error)
}

// subscriptionList is the body of GET /eventSubscriptions.
type subscriptionList struct {
	Value []*callrec.Subscription `json:"value"`
}

// routeSubscriptions serves GET /eventSubscriptions and PUT|GET|DELETE
// /eventSubscriptions/{name}. The manual validation route is unsigned and
// served by validateSubscription.
func (s *Server) routeSubscriptions(w http.ResponseWriter, r *http.Request, segs []string, body []byte) error {
	ctx := r.Context()
	switch len(segs) {
	case 0:
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		subs, err := s.cfg.Events.List(ctx)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, subscriptionList{Value: subs})
		return nil
	case 1:
		name, err := unescapeID(segs[0])
		if err != nil {
			return err
		}
		switch r.Method {
		case http.MethodPut:
			var in callrec.Subscription
			if err := decodeJSON(r, body, &in); err != nil {
				return err
			}
			in.Name = name
			out, created, err := s.cfg.Events.Put(ctx, in)
			if err != nil {
				return err
			}
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			writeJSON(w, status, out)
			return nil
		case http.MethodGet:
			sub, err := s.cfg.Events.Get(ctx, name)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, sub)
			return nil
		case http.MethodDelete:
			if err := s.cfg.Events.Delete(ctx, name); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return methodNotAllowed(w, r, http.MethodPut, http.MethodGet, http.MethodDelete)
	}
	return routeNotFound(r)
}

// validateSubscription serves GET /eventSubscriptions/{name}/validate?token=…,
// the validationUrl that an Event Grid endpoint may GET instead of echoing
// the validation code. The token is the credential, so it is not HMAC-signed.
func (s *Server) validateSubscription(w http.ResponseWriter, r *http.Request, seg string) {
	err := func() error {
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		name, err := unescapeID(seg)
		if err != nil {
			return err
		}
		if err := s.cfg.Events.ValidateByURL(r.Context(), name, r.URL.Query().Get("token")); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"name": name, "state": string(callrec.SubscriptionValidated)})
		return nil
	}()
	if err != nil {
		s.writeError(w, r, err, false)
	}
}

// deadLetterList is the body of GET /events/deadLetters.
type deadLetterList struct {
	Value []callrec.Delivery `json:"value"`
}

// routeDeadLetters serves GET /events/deadLetters[?limit=N] and
// POST /events/deadLetters/{id}:replay.
func (s *Server) routeDeadLetters(w http.ResponseWriter, r *http.Request, segs []string) error {
	ctx := r.Context()
	switch len(segs) {
	case 0:
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, http.MethodGet)
		}
		limit, err := queryInt(r, "limit", 100)
		if err != nil {
			return err
		}
		dl, err := s.cfg.Events.DeadLetters(ctx, int(limit))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, deadLetterList{Value: nonNilDeliveries(dl)})
		return nil
	case 1:
		idText, action := splitAction(segs[0])
		if action != "replay" {
			break
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, r, http.MethodPost)
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return callrec.Errorf(callrec.KindInvalid, callrec.CodeInvalidID, "dead letter id %q is not a number", idText)
		}
		if err := s.cfg.Events.Replay(ctx, id); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": callrec.DeliveryPending})
		return nil
	}
	return routeNotFound(r)
}

// splitAction splits "{id}:action" at the last literal ':'.
func splitAction(seg string) (id, action string) {
	for i := len(seg) - 1; i >= 0; i-- {
		if seg[i] == ':' {
			return seg[:i], seg[i+1:]
		}
	}
	return seg, ""
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, callrec.FieldErrorf(name, callrec.CodeInvalidRequest, "query parameter %s=%q is not a non-negative integer", name, v)
	}
	return n, nil
}

func nonNilDeliveries(d []callrec.Delivery) []callrec.Delivery {
	if d == nil {
		return []callrec.Delivery{}
	}
	return d
}
