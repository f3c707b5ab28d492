package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec/httpapi"
	"github.com/callrec/callrec/internal/metricstest"
)

// TestHealthAndHTTPMetrics: /healthz is 200 always; /readyz is 200 while
// ready and 503 NotReady with the reason otherwise; /metrics is not served
// on the API port; every request is counted by method, route pattern and
// status, a media route's status included.
func TestHealthAndHTTPMetrics(t *testing.T) {
	var notReady atomic.Pointer[error]
	reg := prometheus.NewRegistry()
	api := httpapi.New(httpapi.Config{
		Registerer: reg,
		Ready: func(context.Context) error {
			if err := notReady.Load(); err != nil {
				return *err
			}
			return nil
		},
		Media: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }),
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	get := func(method, path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if len(b) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s %s: body %q is not JSON", method, path, b)
			}
		}
		return resp.StatusCode, m
	}
	if code, body := get("GET", "/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, body)
	}
	if code, body := get("GET", "/readyz"); code != 200 || body["status"] != "ready" {
		t.Errorf("readyz while ready: %d %v", code, body)
	}
	draining := errors.New("draining: this node takes no new work")
	notReady.Store(&draining)
	code, body := get("GET", "/readyz")
	e, _ := body["error"].(map[string]any)
	if code != http.StatusServiceUnavailable || e["code"] != httpapi.CodeNotReady || e["message"] == "" {
		t.Errorf("readyz while draining: %d %v", code, body)
	}
	if code, _ := get("GET", "/healthz"); code != 200 {
		t.Errorf("healthz while draining: %d", code)
	}
	if code, _ := get("POST", "/readyz"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz: %d", code)
	}
	if code, _ := get("GET", "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the API port: %d, want 404", code)
	}
	if code, _ := get("POST", "/calls/Y2FsbA%3D%3D/whip"); code != http.StatusCreated {
		t.Errorf("WHIP: %d", code)
	}

	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"method", "GET", "route", "/healthz", "code", "200"}, 2},
		{[]string{"route", "/readyz", "code", "200"}, 1},
		{[]string{"route", "/readyz", "code", "503"}, 1},
		{[]string{"method", "POST", "route", "/readyz", "code", "405"}, 1},
		{[]string{"route", "unmatched", "code", "404"}, 1},
		{[]string{"method", "POST", "route", "/calls/{serverCallId}/whip", "code", "201"}, 1},
	} {
		if got := metricstest.Value(t, reg, "callrec_http_requests_total", c.labels...); got != c.want {
			t.Errorf("callrec_http_requests_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := metricstest.Value(t, reg, "callrec_http_request_duration_seconds"); got != 7 {
		t.Errorf("%v durations observed, want 7", got)
	}
}
