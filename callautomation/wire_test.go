package callautomation

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callrec/callrec/hmacauth"
)

// These tests run the SDK against a loopback HTTP server that verifies
// every signature with hmacauth.Verifier (the server's verifier) and
// records what arrived, to check the wire byte for byte and to produce
// answers the real server never gives (503s, broken connections, wrong
// statuses). The behaviour against the real server is in
// integration_test.go.

var testKey = []byte("callautomation-wire-test-key-0001")

type capturedRequest struct {
	Method string
	Target string // request line target, escaped, with query
	Host   string
	Header http.Header
	Body   []byte
}

type wireServer struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	reqs    []capturedRequest
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newWireServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *wireServer {
	t.Helper()
	s := &wireServer{t: t, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *wireServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("reading body: %v", err)
	}
	// Content routes ignore the query, so it need not be signed there (as on
	// the server).
	scope := hmacauth.QuerySigned
	if strings.HasPrefix(r.URL.Path, "/v1/objects/") {
		scope = hmacauth.QueryIgnored
	}
	err = (&hmacauth.Verifier{Key: testKey}).VerifyHeaders(r, scope)
	if err == nil {
		err = hmacauth.VerifyBody(r, body)
	}
	if err != nil {
		s.t.Errorf("%s %s: signature rejected: %v", r.Method, r.RequestURI, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, capturedRequest{r.Method, r.RequestURI, r.Host, r.Header.Clone(), body})
	s.mu.Unlock()
	s.respond(w, r, n)
}

func (s *wireServer) requests() []capturedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]capturedRequest(nil), s.reqs...)
}

func (s *wireServer) connectionString() string {
	return hmacauth.FormatConnectionString(s.URL, base64.StdEncoding.EncodeToString(testKey))
}

func (s *wireServer) client(t *testing.T, opts *ClientOptions) *Client {
	t.Helper()
	if opts == nil {
		opts = &ClientOptions{}
	}
	if opts.Retry.RetryDelay == 0 {
		opts.Retry.RetryDelay = time.Millisecond
	}
	c, err := NewCallAutomationClient(s.connectionString(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const stateBody = `{"recordingId":"eyJhIjoiYiJ9+/=:x","recordingState":"inactive","recordingKind":"azureCommunicationServices"}`

func TestStartSendsWhatTheJSSDKSends(t *testing.T) {
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, stateBody) })
	c := srv.client(t, nil)
	user := CommunicationUserIdentifier{ID: "8:acs:r_01"}
	phone := PhoneNumberIdentifier{PhoneNumber: "+14255550123"}
	pause := true
	got, err := c.CallRecording().Start(context.Background(), StartRecordingOptions{
		CallLocator:                     ServerCallLocator{ID: "aHR0cHM6Ly9hYmM="},
		RecordingStateCallbackURI:       "https://app.example.test/recording-events?tenant=1&x=<y>",
		RecordingContent:                RecordingContentAudio,
		RecordingChannel:                RecordingChannelUnmixed,
		RecordingFormat:                 RecordingFormatWav,
		AudioChannelParticipantOrdering: []CommunicationIdentifier{user, phone, MicrosoftTeamsUserIdentifier{UserID: "aaaa"}},
		ChannelAffinity:                 []ChannelAffinity{NewChannelAffinity(user, 0), NewChannelAffinity(phone, 1), {Participant: UnknownIdentifier{ID: "28:x"}}},
		PauseOnStart:                    &pause,
		ExternalStorage:                 &ExternalStorage{Kind: RecordingStorageKindAzureBlobStorage, ContainerURL: "https://acct.blob.core.windows.net/recordings"},
		PauseBehavior:                   PauseBehaviorSilence,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := RecordingStateResult{"eyJhIjoiYiJ9+/=:x", RecordingStateInactive, RecordingKindAzureCommunicationServices}
	if *got != want {
		t.Errorf("result %+v, want %+v", *got, want)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Target != "/calling/recordings?api-version=2025-06-15" {
		t.Errorf("request line %s %s", r.Method, r.Target)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if id, err := uuid.Parse(r.Header.Get("Repeatability-Request-ID")); err != nil || id.Version() != 4 {
		t.Errorf("Repeatability-Request-ID %q is not a UUIDv4", r.Header.Get("Repeatability-Request-ID"))
	}
	if _, err := http.ParseTime(r.Header.Get("Repeatability-First-Sent")); err != nil {
		t.Errorf("Repeatability-First-Sent %q: %v", r.Header.Get("Repeatability-First-Sent"), err)
	}
	wantBody := `{"callLocator":{"kind":"serverCallLocator","serverCallId":"aHR0cHM6Ly9hYmM="},` +
		`"recordingStateCallbackUri":"https://app.example.test/recording-events?tenant=1&x=<y>",` +
		`"recordingContentType":"audio","recordingChannelType":"unmixed","recordingFormatType":"wav",` +
		`"audioChannelParticipantOrdering":[` +
		`{"kind":"communicationUser","rawId":"8:acs:r_01","communicationUser":{"id":"8:acs:r_01"}},` +
		`{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123","isAnonymous":false}},` +
		`{"kind":"microsoftTeamsUser","rawId":"8:orgid:aaaa","microsoftTeamsUser":{"userId":"aaaa","isAnonymous":false,"cloud":"public"}}],` +
		`"channelAffinity":[` +
		`{"channel":0,"participant":{"kind":"communicationUser","rawId":"8:acs:r_01","communicationUser":{"id":"8:acs:r_01"}}},` +
		`{"channel":1,"participant":{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123","isAnonymous":false}}},` +
		`{"participant":{"kind":"unknown","rawId":"28:x"}}],` +
		`"pauseOnStart":true,` +
		`"externalStorage":{"recordingStorageKind":"azureBlobStorage","recordingDestinationContainerUrl":"https://acct.blob.core.windows.net/recordings"},` +
		`"pauseBehavior":"silence"}`
	if string(r.Body) != wantBody {
		t.Errorf("body\n got %s\nwant %s", r.Body, wantBody)
	}
}

func TestStartNeedsALocatorOrConnection(t *testing.T) {
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, stateBody) })
	c := srv.client(t, nil)
	if _, err := c.CallRecording().Start(context.Background(), StartRecordingOptions{}); err == nil {
		t.Error("empty options accepted")
	}
	if _, err := c.CallRecording().Start(context.Background(), StartRecordingOptions{
		CallLocator: ServerCallLocator{ID: "c"}, ChannelAffinity: []ChannelAffinity{{}},
	}); err == nil {
		t.Error("affinity without participant accepted")
	}
	if _, err := c.CallRecording().Start(context.Background(), StartRecordingOptions{CallConnectionID: "1111"}); err != nil {
		t.Errorf("callConnectionId alone: %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests sent, want only the valid one", n)
	}
	if got := string(srv.requests()[0].Body); got != `{"callConnectionId":"1111"}` {
		t.Errorf("body %s", got)
	}
}

func TestRecordingOperationsEscapeTheID(t *testing.T) {
	resultBody := `{"recordingId":"eyJhIjoiYiJ9+/=:x","recordingStorageInfo":{"recordingChunks":[{"documentId":"d1","index":0,` +
		`"endReason":"sessionEnded","contentLocation":"http://h/v1/objects/d1/content/audio","metadataLocation":"m","deleteLocation":"d"}]},` +
		`"recordingDurationMs":6620,"sessionEndReason":"callEnded","recordingStartTime":"2026-11-25T10:00:00Z"}`
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/result"):
			writeJSON(w, 200, resultBody)
		case r.Method == "GET":
			writeJSON(w, 200, stateBody)
		case r.Method == "DELETE":
			w.WriteHeader(204)
		default:
			w.WriteHeader(202)
		}
	})
	c := srv.client(t, &ClientOptions{APIVersion: "2026-03-12"})
	rec := c.CallRecording()
	ctx := context.Background()
	const id = "eyJhIjoiYiJ9+/=:x"
	if _, err := rec.GetState(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rec.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rec.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	res, err := rec.Result(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(ctx, id); err != nil {
		t.Fatal(err)
	}
	if len(res.RecordingStorageInfo.RecordingChunks) != 1 || res.RecordingStorageInfo.RecordingChunks[0].EndReason != "sessionEnded" ||
		*res.RecordingDurationMs != 6620 || res.SessionEndReason != "callEnded" || !res.RecordingStartTime.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("result %+v", res)
	}
	want := []string{
		"GET /calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax?api-version=2026-03-12",
		"POST /calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax:pause?api-version=2026-03-12",
		"POST /calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax:resume?api-version=2026-03-12",
		"GET /calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax/result?api-version=2026-03-12",
		"DELETE /calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax?api-version=2026-03-12",
	}
	for i, r := range srv.requests() {
		if got := r.Method + " " + r.Target; got != want[i] {
			t.Errorf("request %d: %s, want %s", i, got, want[i])
		}
		if len(r.Body) != 0 || r.Header.Get("Content-Type") != "" || r.Header.Get("Repeatability-Request-ID") != "" {
			t.Errorf("request %d carries a body or start-only headers: %q %v", i, r.Body, r.Header)
		}
		if r.Header.Get("x-ms-content-sha256") != hmacauth.EmptyContentHash {
			t.Errorf("request %d: content hash %s", i, r.Header.Get("x-ms-content-sha256"))
		}
	}
	if _, err := rec.GetState(ctx, ""); err == nil {
		t.Error("empty id accepted")
	}
}

// TestStatusCodesAreStrict checks that only the statuses the official SDKs
// accept count as success.
func TestStatusCodesAreStrict(t *testing.T) {
	var status int
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, status, stateBody) })
	c := srv.client(t, nil)
	rec := c.CallRecording()
	ctx := context.Background()
	ops := map[string]func() error{
		"start": func() error {
			_, err := rec.Start(ctx, StartRecordingOptions{CallLocator: ServerCallLocator{ID: "c"}})
			return err
		},
		"getState": func() error { _, err := rec.GetState(ctx, "r"); return err },
		"pause":    func() error { return rec.Pause(ctx, "r") },
		"resume":   func() error { return rec.Resume(ctx, "r") },
		"stop":     func() error { return rec.Stop(ctx, "r") },
		"result":   func() error { _, err := rec.Result(ctx, "r"); return err },
		"delete":   func() error { return rec.Delete(ctx, srv.URL+"/v1/objects/d") },
	}
	ok := map[string][]int{"start": {200, 202}, "getState": {200}, "pause": {202}, "resume": {202}, "stop": {204}, "result": {200}, "delete": {200}}
	for name, op := range ops {
		for _, s := range []int{200, 201, 202, 204, 206} {
			status = s
			err := op()
			want := false
			for _, o := range ok[name] {
				want = want || o == s
			}
			var re *ResponseError
			switch {
			case want && err != nil:
				t.Errorf("%s answered %d: %v", name, s, err)
			case !want && (!errors.As(err, &re) || re.StatusCode != s):
				t.Errorf("%s answered %d: got %v, want a *ResponseError with that status", name, s, err)
			}
		}
	}
}

func TestRetriesResendByteIdenticalRequests(t *testing.T) {
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			writeJSON(w, 503, `{"error":{"code":"Busy","message":"try later"}}`)
		case 1:
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 429, `{"error":{"code":"Throttled","message":"slow down"}}`)
		case 2:
			writeJSON(w, 408, ``)
		default:
			writeJSON(w, 200, stateBody)
		}
	})
	c := srv.client(t, nil)
	if _, err := c.CallRecording().Start(context.Background(), StartRecordingOptions{CallLocator: ServerCallLocator{ID: "c"}}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for i, r := range reqs[1:] {
		for _, h := range []string{"Authorization", "x-ms-date", "x-ms-content-sha256", "Repeatability-Request-ID",
			"Repeatability-First-Sent", "x-ms-client-request-id", "User-Agent"} {
			if r.Header.Get(h) != reqs[0].Header.Get(h) || r.Header.Get(h) == "" {
				t.Errorf("retry %d: %s %q, first %q", i+1, h, r.Header.Get(h), reqs[0].Header.Get(h))
			}
		}
		if !bytes.Equal(r.Body, reqs[0].Body) || r.Target != reqs[0].Target {
			t.Errorf("retry %d differs: %s %s", i+1, r.Target, r.Body)
		}
	}
}

func TestRetriesStopAndReportTheLastError(t *testing.T) {
	var status int
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, status, `{"error":{"code":"E`+http.StatusText(status)+`","message":"attempt"}}`)
	})
	c := srv.client(t, nil)
	cases := []struct {
		status   int
		attempts int
	}{{500, 4}, {502, 4}, {501, 1}, {505, 1}, {400, 1}, {404, 1}, {409, 1}}
	total := 0
	for _, cs := range cases {
		status = cs.status
		err := c.CallRecording().Pause(context.Background(), "r")
		var re *ResponseError
		if !errors.As(err, &re) || re.StatusCode != cs.status || re.Code != "E"+http.StatusText(cs.status) {
			t.Errorf("status %d: %v", cs.status, err)
		}
		total += cs.attempts
		if got := len(srv.requests()); got != total {
			t.Errorf("status %d: %d attempts, want %d", cs.status, got-(total-cs.attempts), cs.attempts)
			total = got
		}
	}
	noRetry := srv.client(t, &ClientOptions{Retry: RetryOptions{MaxRetries: -1}})
	status = 503
	before := len(srv.requests())
	if err := noRetry.CallRecording().Pause(context.Background(), "r"); err == nil {
		t.Error("503 succeeded")
	}
	if got := len(srv.requests()) - before; got != 1 {
		t.Errorf("MaxRetries -1 sent %d requests", got)
	}
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	var mu sync.Mutex
	dropped := 0
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 2 {
			mu.Lock()
			dropped++
			mu.Unlock()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the client sees the connection die with no answer
			}
			return
		}
		w.WriteHeader(202)
	})
	c := srv.client(t, nil)
	if err := c.CallRecording().Resume(context.Background(), "r"); err != nil {
		t.Fatal(err)
	}
	if dropped != 2 || len(srv.requests()) != 3 {
		t.Errorf("dropped %d, requests %d", dropped, len(srv.requests()))
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(503) })
	c := srv.client(t, &ClientOptions{Retry: RetryOptions{RetryDelay: time.Hour, MaxRetryDelay: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.CallRecording().Pause(ctx, "r")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's error", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	srv := newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	_, err := srv.client(t, nil).CallRecording().GetState(context.Background(), "r")
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusFound {
		t.Errorf("got %v, want a *ResponseError with status 302", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
