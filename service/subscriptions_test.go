package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/sqlite"
	"github.com/callrec/callrec/webhook"
)

func newSubscriptions(t *testing.T) *service.Subscriptions {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := service.NewSubscriptions(ctx, service.SubscriptionsConfig{
		Store: db, Validator: webhook.Handshake{Timeout: 2 * time.Second}, PublicURL: "http://127.0.0.1:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPutValidatesOnceAndKeepsSecrets: creating validates; replacing with
// the same endpoint and schema keeps the validation without a new
// handshake; a new endpoint is validated again; the worker's secret lookup
// follows every change and reads never return the secret.
func TestPutValidatesOnceAndKeepsSecrets(t *testing.T) {
	var handshakes atomic.Int32
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []struct {
			Data struct {
				ValidationCode string `json:"validationCode"`
			} `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&evs)
		handshakes.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"validationResponse": evs[0].Data.ValidationCode})
	}))
	defer echo.Close()
	m := newSubscriptions(t)
	ctx := context.Background()

	got, created, err := m.Put(ctx, callrec.Subscription{Name: "hook", URL: echo.URL, Secret: "one"})
	if err != nil || !created || got.State != callrec.SubscriptionValidated || got.Schema != callrec.SchemaEventGrid || got.Secret != "" {
		t.Fatalf("create: %+v created=%v %v", got, created, err)
	}
	if m.Secret("hook") != "one" {
		t.Fatalf("secret %q", m.Secret("hook"))
	}
	got, created, err = m.Put(ctx, callrec.Subscription{Name: "hook", URL: echo.URL, Secret: "two", Types: []string{"T"}})
	if err != nil || created || got.State != callrec.SubscriptionValidated || handshakes.Load() != 1 {
		t.Fatalf("replace: %+v created=%v %v after %d handshakes", got, created, err, handshakes.Load())
	}
	if m.Secret("hook") != "two" || len(got.Types) != 1 {
		t.Fatalf("after replace: secret %q, types %v", m.Secret("hook"), got.Types)
	}
	if _, _, err := m.Put(ctx, callrec.Subscription{Name: "hook", URL: echo.URL + "/v2"}); err != nil || handshakes.Load() != 2 {
		t.Fatalf("new endpoint: %v after %d handshakes, want 2", err, handshakes.Load())
	}
	if err := m.Delete(ctx, "hook"); err != nil || m.Secret("hook") != "" {
		t.Fatalf("delete: %v, secret %q", err, m.Secret("hook"))
	}
}

func TestPutRejectsBadInput(t *testing.T) {
	m := newSubscriptions(t)
	for _, s := range []callrec.Subscription{
		{Name: "ab", URL: "http://127.0.0.1:1"},
		{Name: "has space", URL: "http://127.0.0.1:1"},
		{Name: "good-name", URL: "127.0.0.1:1/no-scheme"},
		{Name: "good-name", URL: "http://127.0.0.1:1", Schema: "xml"},
		{Name: "good-name", URL: "http://127.0.0.1:1", Types: []string{" "}},
	} {
		_, _, err := m.Put(context.Background(), s)
		if callrec.KindOf(err) != callrec.KindInvalid || callrec.CodeOf(err) != service.CodeInvalidSubscription {
			t.Errorf("Put(%+v) = %v, want %s", s, err, service.CodeInvalidSubscription)
		}
	}
	for in, want := range map[string]callrec.Schema{
		"": callrec.SchemaEventGrid, "EventGridSchema": callrec.SchemaEventGrid,
		"cloudevents": callrec.SchemaCloudEvents, "CloudEventSchemaV1_0": callrec.SchemaCloudEvents,
	} {
		if got, err := service.ParseSchema(in); err != nil || got != want {
			t.Errorf("ParseSchema(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
