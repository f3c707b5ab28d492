package callautomation

import (
	"context"
	"net/http"
	"testing"
)

func TestCallsWire(t *testing.T) {
	const callBody = `{"serverCallId":"aGk+/w==","state":"active","createdAt":"2026-11-25T10:00:00Z","participants":[{"rawId":"8:acs:r_1","joinedAt":"2026-11-25T10:00:01Z"}]}`
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.Method {
		case "POST":
			writeJSON(w, 201, callBody)
		case "GET":
			writeJSON(w, 200, callBody)
		default:
			w.WriteHeader(204)
		}
	})
	calls := srv.client(t, nil).Calls()
	ctx := context.Background()
	created, err := calls.Create(ctx, "aGk+/w==")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calls.Create(ctx, ""); err != nil {
		t.Fatal(err)
	}
	got, err := calls.Get(ctx, created.ServerCallID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "active" || len(got.Participants) != 1 || got.Participants[0].RawID != "8:acs:r_1" {
		t.Errorf("call %+v", got)
	}
	if err := calls.End(ctx, created.ServerCallID); err != nil {
		t.Fatal(err)
	}
	want := []struct{ line, body string }{
		{"POST /calls", `{"serverCallId":"aGk+/w=="}`},
		{"POST /calls", `{}`},
		{"GET /calls/aGk%2B%2Fw%3D%3D", ""},
		{"DELETE /calls/aGk%2B%2Fw%3D%3D", ""},
	}
	for i, r := range srv.requests() {
		if r.Method+" "+r.Target != want[i].line || string(r.Body) != want[i].body {
			t.Errorf("request %d: %s %s %s, want %s %s", i, r.Method, r.Target, r.Body, want[i].line, want[i].body)
		}
	}
	if _, err := calls.Get(ctx, ""); err == nil {
		t.Error("empty id accepted")
	}
}
