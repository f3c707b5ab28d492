package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/hmacauth"
)

// acsClient sends HMAC-signed requests to a callrec server the way the
// official SDKs do. It is deliberately small and independent of the Go SDK,
// so these tests check the server from the wire.
type acsClient struct {
	endpoint *url.URL
	key      []byte
	http     *http.Client
}

// newACSClient builds a client from a connection string; caFile (may be
// empty) is the PEM CA to trust for https endpoints.
func newACSClient(t *testing.T, connectionString, caFile string) *acsClient {
	t.Helper()
	cs, err := hmacauth.ParseConnectionString(connectionString)
	if err != nil {
		t.Fatalf("connection string %q: %v", connectionString, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("%s holds no PEM certificate", caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &acsClient{
		endpoint: cs.Endpoint,
		key:      cs.Key,
		http:     &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}
}

// response is a read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do signs and sends one request to the API; escapedPath is sent as is
// (already percent-encoded) and api-version is added.
func (c *acsClient) Do(ctx context.Context, method, escapedPath string, body any) (*response, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	u := *c.endpoint
	u.Path, u.RawPath, u.Opaque = "", "", ""
	req, err := http.NewRequestWithContext(ctx, method, u.String()+escapedPath+"?api-version=2025-06-15", bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	hmacauth.Sign(req, c.key, req.URL.Host, req.URL.RequestURI(), raw, time.Now())
	return c.send(req)
}

// Content sends a signed GET or DELETE to a content URL the way the SDKs do:
// signed for the endpoint's host (also sent as x-ms-host) and the URL's path
// without its query.
func (c *acsClient) Content(t *testing.T, method, contentURL string) *response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, contentURL, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(hmacauth.HeaderHost, c.endpoint.Host)
	hmacauth.Sign(req, c.key, c.endpoint.Host, req.URL.EscapedPath(), nil, time.Now())
	resp, err := c.send(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, contentURL, err)
	}
	return resp
}

func (c *acsClient) send(req *http.Request) (*response, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// must sends a request and requires the given status.
func (c *acsClient) must(t *testing.T, method, escapedPath string, body any, wantStatus int) *response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Do(ctx, method, escapedPath, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, escapedPath, err)
	}
	if resp.Status != wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, escapedPath, resp.Status, wantStatus, resp.Body)
	}
	return resp
}

// CreateCall creates a call with POST /calls and returns its serverCallId.
func (c *acsClient) CreateCall(t *testing.T) string {
	t.Helper()
	resp := c.must(t, http.MethodPost, "/calls", map[string]any{}, http.StatusCreated)
	var out struct {
		ServerCallID string `json:"serverCallId"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.ServerCallID == "" {
		t.Fatalf("POST /calls: body %s: want {\"serverCallId\":…} (%v)", resp.Body, err)
	}
	return out.ServerCallID
}

// recordingState is the RecordingStateResponse of start and get state.
type recordingState struct {
	RecordingID    string `json:"recordingId"`
	RecordingState string `json:"recordingState"`
	RecordingKind  string `json:"recordingKind"`
}

// recordingPath is /calling/recordings/{id} with the id escaped as the JS
// SDK does (encodeURIComponent), followed by suffix (":pause", …).
func recordingPath(id, suffix string) string {
	return "/calling/recordings/" + encodeURIComponent(id) + suffix
}

// encodeURIComponent escapes s like JavaScript's encodeURIComponent, which
// is what the official JS SDK applies to recording ids: "+/=:" all become
// %XX, unlike url.PathEscape.
func encodeURIComponent(s string) string {
	const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(unreserved, s[i]) >= 0 {
			b.WriteByte(s[i])
		} else {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
	}
	return b.String()
}

// GetState reads a recording's state and requires 200.
func (c *acsClient) GetState(t *testing.T, id string) recordingState {
	t.Helper()
	resp := c.must(t, http.MethodGet, recordingPath(id, ""), nil, http.StatusOK)
	var st recordingState
	if err := json.Unmarshal(resp.Body, &st); err != nil {
		t.Fatalf("GET recording %s: %v; body %s", id, err, resp.Body)
	}
	return st
}

// errorBody is ACS's CommunicationErrorResponse.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// requireACSError checks that resp is an ACS error with a code and message.
func requireACSError(t *testing.T, resp *response, wantStatus int) errorBody {
	t.Helper()
	if resp.Status != wantStatus {
		t.Fatalf("status %d, want %d; body %s", resp.Status, wantStatus, resp.Body)
	}
	var e errorBody
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s: want {\"error\":{\"code\",\"message\"}} (%v)", resp.Body, err)
	}
	return e
}

// recordingChunk is one chunk of GET /calling/recordings/{id}/result.
type recordingChunk struct {
	DocumentID       string `json:"documentId"`
	Index            int    `json:"index"`
	EndReason        string `json:"endReason"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
	DeleteLocation   string `json:"deleteLocation"`
}

// WaitForChunks polls the recording's result until it lists chunks.
func (c *acsClient) WaitForChunks(t *testing.T, id string, timeout time.Duration) []recordingChunk {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp := c.must(t, http.MethodGet, recordingPath(id, "/result"), nil, http.StatusOK)
		var result struct {
			RecordingStorageInfo struct {
				RecordingChunks []recordingChunk `json:"recordingChunks"`
			} `json:"recordingStorageInfo"`
		}
		decodeJSON(t, resp.Body, &result)
		if chunks := result.RecordingStorageInfo.RecordingChunks; len(chunks) > 0 {
			return chunks
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording %s lists no chunks %s after stop: %s", id, timeout, resp.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// decodeJSON decodes b into v or fails the test.
func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// TestEncodeURIComponentMatchesJS pins the helper to the JS SDK's encoding,
// captured on the wire (docs/acs-compatibility.md, "Routes").
func TestEncodeURIComponentMatchesJS(t *testing.T) {
	if got, want := recordingPath("eyJhIjoiYiJ9+/=:x", ":pause"), "/calling/recordings/eyJhIjoiYiJ9%2B%2F%3D%3Ax:pause"; got != want {
		t.Fatalf("recordingPath = %q, want %q", got, want)
	}
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
