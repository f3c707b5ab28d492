package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/metricstest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/jointoken"
	"github.com/callrec/callrec/simulate"
)

// getJSON GETs url (with a bearer token when given) and returns the status
// and the JSON body.
func getJSON(t *testing.T, rawURL, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 && json.Unmarshal(b, &m) != nil {
		t.Fatalf("GET %s: %s, body %q is not JSON", rawURL, resp.Status, b)
	}
	return resp.StatusCode, m
}

// TestMetricsListener: after a real recording of a WebRTC participant with
// state callbacks (one refused, then accepted), the metrics listener's
// scrape shows every part's metrics moved: recorder, webhook, HTTP by route
// pattern, ingest; the join status follows the recording; the probes
// answer on both listeners and /metrics only on its own.
func TestMetricsListener(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks())
	if s.MetricsURL == "" {
		t.Fatal("the test server has no metrics listener")
	}
	rc := &received{fails: 1}
	recv := httptest.NewServer(rc)
	t.Cleanup(recv.Close)
	ctx := t.Context()
	c := sdkClient(t, s)
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	key, err := hmacauth.DecodeKey(s.App.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := jointoken.Mint(key, call.ServerCallID, "8:acs:tone", time.Hour, time.Now())
	statusURL := s.URL + "/calls/" + url.PathEscape(call.ServerCallID) + "/status"
	recordingState := func() string {
		t.Helper()
		code, body := getJSON(t, statusURL, token)
		if code != http.StatusOK || body["callState"] != "active" {
			t.Fatalf("join status: %d %v", code, body)
		}
		return body["recordingState"].(string)
	}
	if st := recordingState(); st != "none" {
		t.Errorf("join status before recording: %s, want none", st)
	}
	if code, body := getJSON(t, statusURL, ""); code != http.StatusUnauthorized {
		t.Errorf("join status without a token: %d %v", code, body)
	}

	rec := c.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingStateCallbackURI: recv.URL + "/cb",
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := recordingState(); st != "active" {
		t.Errorf("join status while recording: %s, want active", st)
	}
	if _, err := simulate.Join(ctx, simulate.Options{
		ConnectionString: s.ConnectionString, Token: token, CallID: call.ServerCallID, Participant: "8:acs:tone",
		Source: "tone:440", Duration: 2 * time.Second, SettingEngine: simulate.LoopbackSettingEngine(),
	}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Pause(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if st := recordingState(); st != "inactive" {
		t.Errorf("join status while paused: %s, want inactive", st)
	}
	if err := rec.Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if st := recordingState(); st != "none" {
		t.Errorf("join status after the stop: %s, want none", st)
	}
	waitFor(t, "the three state callbacks", 30*time.Second, func() bool { return len(rc.states()) == 3 })

	res, err := rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	audio := downloadWAV(ctx, t, rec, res.RecordingStorageInfo.RecordingChunks[0].ContentLocation)
	m := metricstest.Scrape(t, http.DefaultClient, s.MetricsURL+"/metrics")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"callrec_recorder_recordings_started_total", nil, 1},
		{"callrec_recorder_recordings_stopped_total", []string{"reason", callrec.EndReasonSessionEnded}, 1},
		{"callrec_recorder_recordings_active", nil, 0},
		{"callrec_recorder_finalize_seconds", nil, 1},
		{"callrec_recorder_written_bytes_total", nil, float64(2 * len(audio.Channels) * len(audio.Channels[0]))},
		{"callrec_webhook_delivered_total", nil, 3},
		{"callrec_webhook_delivery_seconds", nil, 3},
		{"callrec_webhook_attempts_failed_total", nil, 1},
		{"callrec_webhook_outbox_deliveries", []string{"status", "pending"}, 0},
		{"callrec_webhook_outbox_deliveries", []string{"status", "dead"}, 0},
		{"callrec_http_requests_total", []string{"method", "POST", "route", "/calling/recordings", "code", "200"}, 1},
		{"callrec_http_requests_total", []string{"method", "POST", "route", "/calls/{serverCallId}/whip", "code", "201"}, 1},
		{"callrec_http_requests_total", []string{"route", "/calls/{serverCallId}/status", "code", "200"}, 4},
		{"callrec_http_requests_total", []string{"route", "/calls/{serverCallId}/status", "code", "401"}, 1},
		{"callrec_ingest_whip_sessions_total", nil, 1},
		{"callrec_ingest_participants", nil, 0},
	} {
		if got := metricstest.Value(t, m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := metricstest.Value(t, m, "callrec_ingest_rtp_packets_total", "kind", "audio"); got < 90 {
		t.Errorf("%v audio packets received, want about 100", got)
	}
	if got := metricstest.Value(t, m, "go_goroutines"); got == 0 {
		t.Error("no Go runtime metrics")
	}

	for _, base := range []string{s.URL, s.MetricsURL} {
		if code, body := getJSON(t, base+"/healthz", ""); code != 200 || body["status"] != "ok" {
			t.Errorf("%s/healthz: %d %v", base, code, body)
		}
		if code, body := getJSON(t, base+"/readyz", ""); code != 200 || body["status"] != "ready" {
			t.Errorf("%s/readyz: %d %v", base, code, body)
		}
	}
	if code, _ := getJSON(t, s.URL+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("/metrics on the API port: %d, want 404 (metrics are on their own listener)", code)
	}
}

// downloadWAV downloads and parses a WAV chunk.
func downloadWAV(ctx context.Context, t *testing.T, rec *callautomation.CallRecording, location string) *wav.Audio {
	t.Helper()
	rd, err := rec.DownloadStreaming(ctx, location, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	a, err := wav.Read(rd)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReadyzWhileDraining: a node that drains (a delivery in flight holds
// it) answers /readyz 503 NotReady on its metrics listener, and /healthz
// 200, until it stops.
func TestReadyzWhileDraining(t *testing.T) {
	s := startHoldingDelivery(t, 3*time.Second, time.Minute)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.Stop()
	}()
	waitFor(t, "/readyz to answer 503", 10*time.Second, func() bool {
		code, body := getJSON(t, s.MetricsURL+"/readyz", "")
		e, _ := body["error"].(map[string]any)
		return code == http.StatusServiceUnavailable && e["code"] == "NotReady"
	})
	if code, _ := getJSON(t, s.MetricsURL+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz while draining: %d", code)
	}
	<-stopped
}
