package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/simulate"
)

// asmTestHost is a host name that SDK 1.6.0's content-host allow-list
// (*.asm.skype.com) admits. It is never resolved: every client in the test
// opens its sockets to the server's 127.0.0.1 address itself.
const asmTestHost = "callrec-test.asm.skype.com"

// TestOfficialJSSDK160Content has the official SDK 1.6.0 download a real
// recording's WAV and metadata, a byte range and the whole file from offset
// 0, and delete it. 1.6.0 sends content requests only to allow-listed
// Microsoft hosts, so callrec serves under
// --public-url https://callrec-test.asm.skype.com:PORT (its self-signed
// certificate names that host) and the SDK gets, through its httpClient
// option, a client that opens every socket to 127.0.0.1:PORT and leaves
// URL, Host, SNI, path, query and headers alone
// (e2e/jssdk/loopback-http-client.mjs). A participant streams a 440 Hz tone
// into the call in-process; the SDK's bytes must equal a direct Go-SDK
// download, hold the tone and match the metadata's sha256, and after the
// SDK's delete a download gives 404.
func TestOfficialJSSDK160Content(t *testing.T) {
	jssdk := requireJSSDK(t)
	addr := freeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	publicHost := net.JoinHostPort(asmTestHost, port)
	publicURL := "https://" + publicHost
	srv := startServer(t, serverOptions{addr: addr, tls: true, args: []string{"--public-url", publicURL, "--ice-loopback-only"}})
	if got := srv.Endpoint(t); got.Scheme != "https" || got.Host != publicHost {
		t.Fatalf("connection string %q: endpoint %s, want %s", srv.ConnectionString(), got, publicURL)
	}
	caFile := srv.CAFile(t)
	httpClient := loopbackHTTPClient(t, caFile, publicHost, srv.addr)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := callautomation.NewCallAutomationClient(srv.ConnectionString(), &callautomation.ClientOptions{HTTPClient: httpClient})
	if err != nil {
		t.Fatal(err)
	}
	chunk := recordTone(ctx, t, client, srv.ConnectionString(), httpClient)
	for _, u := range []string{chunk.ContentLocation, chunk.MetadataLocation, chunk.DeleteLocation} {
		if !strings.HasPrefix(u, publicURL+"/") {
			t.Fatalf("content URL %s is not under the public URL %s", u, publicURL)
		}
	}
	rec := client.CallRecording()
	var direct, metaBody bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunk.ContentLocation, &direct); err != nil {
		t.Fatalf("Go SDK download of %s: %v", chunk.ContentLocation, err)
	}
	if _, err := rec.DownloadTo(ctx, chunk.MetadataLocation, &metaBody); err != nil {
		t.Fatalf("Go SDK download of %s: %v", chunk.MetadataLocation, err)
	}
	var meta struct {
		SHA256 string `json:"sha256"`
	}
	decodeJSON(t, metaBody.Bytes(), &meta)
	sum := sha256.Sum256(direct.Bytes())
	if meta.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("metadata sha256 %q, but the content's sha256 is %x", meta.SHA256, sum)
	}

	var report contentReport
	nodeRun{dir: jssdk, script: "content.mjs", args: []string{"1.6.0"}, env: []string{
		"CALLREC_CONNECTION_STRING=" + srv.ConnectionString(),
		"NODE_EXTRA_CA_CERTS=" + caFile,
		"ROUTE_TO=" + srv.addr,
		"CONTENT_URL=" + chunk.ContentLocation,
		"METADATA_URL=" + chunk.MetadataLocation,
		"DELETE_URL=" + chunk.DeleteLocation,
		"OUT_DIR=" + t.TempDir(),
	}}.runJSON(t, &report)

	downloaded, err := os.ReadFile(report.AudioPath)
	if err != nil {
		t.Fatalf("the WAV SDK 1.6.0 downloaded: %v", err)
	}
	if !bytes.Equal(downloaded, direct.Bytes()) {
		t.Errorf("SDK 1.6.0 downloaded %d bytes; the Go SDK's download is %d bytes with sha256 %x, and they differ",
			len(downloaded), direct.Len(), sum)
	}
	checkSDKContentReport(t, report, "1.6.0", direct.Bytes(), meta.SHA256)
	checkHoldsTone(t, downloaded, 440)
	checkRoutedRequests(t, report, publicURL, chunk)

	_, err = rec.DownloadTo(ctx, chunk.ContentLocation, &bytes.Buffer{})
	var respErr *callautomation.ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusNotFound {
		t.Errorf("Go SDK download after SDK 1.6.0's delete: %v, want HTTP 404", err)
	}
	srv.Terminate(t)
}

// loopbackHTTPClient is an HTTPS client for a server that calls itself
// publicHost (host:port): it opens every connection to addr on 127.0.0.1
// and verifies the server's certificate against caFile for publicHost.
// Requests for any other host fail without a DNS query or a packet sent.
func loopbackHTTPClient(t *testing.T, caFile, publicHost, addr string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	var dialer net.Dialer
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if address != publicHost {
				return nil, fmt.Errorf("loopback client: refusing to dial %s (only %s is routed to %s)", address, publicHost, addr)
			}
			return dialer.DialContext(ctx, "tcp4", addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}
}

// recordTone starts an unmixed WAV recording on a new call, streams a
// 440 Hz tone into it for three seconds from an in-process participant over
// loopback WebRTC, stops the recording and returns its first chunk.
func recordTone(ctx context.Context, t *testing.T, client *callautomation.Client, connectionString string, httpClient *http.Client) callautomation.RecordingChunk {
	t.Helper()
	callID, recordingID := startRecordedCall(ctx, t, client, callautomation.RecordingChannelUnmixed)
	streamTone(ctx, t, connectionString, callID, 3*time.Second, httpClient)
	return stopFirstChunk(ctx, t, client, recordingID)
}

// streamTone joins an in-process participant, 8:acs:tone-440, to a call over
// loopback WebRTC and streams a 440 Hz tone for d (httpClient may be nil).
func streamTone(ctx context.Context, t *testing.T, connectionString, callID string, d time.Duration, httpClient *http.Client) {
	t.Helper()
	se := simulate.LoopbackSettingEngine()
	res, err := simulate.Join(ctx, simulate.Options{
		ConnectionString: connectionString,
		CallID:           callID,
		Participant:      "8:acs:tone-440",
		Source:           "tone:440",
		Duration:         d,
		SettingEngine:    se,
		HTTPClient:       httpClient,
	})
	if err != nil {
		t.Fatalf("participant streaming the tone: %v", err)
	}
	t.Logf("participant sent %d packets from %s", res.Sent, res.Started.Format(time.RFC3339Nano))
}

// checkHoldsTone parses a downloaded WAV and requires the tone in its first
// channel, in the second after the audio begins.
func checkHoldsTone(t *testing.T, file []byte, freq float64) {
	t.Helper()
	a, err := wav.Read(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("the downloaded file is not a valid WAV: %v", err)
	}
	if len(a.Channels) == 0 {
		t.Fatal("the downloaded WAV has no channels")
	}
	x := a.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	window := a.SampleRate / 2
	if first < 0 || first+a.SampleRate > len(x) {
		t.Fatalf("the downloaded WAV's first channel (%d samples at %d Hz) has no second of audio (first sample above -26 dBFS at %d)",
			len(x), a.SampleRate, first)
	}
	part := x[first+window/2 : first+window/2+window]
	if f, ratio := audio.DetectTone(part, a.SampleRate, audio.CommonTones); f != freq || ratio < 100 {
		t.Errorf("the downloaded WAV holds %v Hz (ratio %.0f), want %v Hz", f, ratio, freq)
	}
	t.Logf("downloaded WAV: %d channel(s), %d Hz, %d ms of audio from %d ms",
		len(a.Channels), a.SampleRate, (len(x)-first)*1000/a.SampleRate, first*1000/a.SampleRate)
}

// checkRoutedRequests checks what the SDK sent through the loopback
// httpClient: only to the public URL's origin with the Host header of the
// content URL, the ranges asked for, the delete, and no name resolved but
// the public host (to 127.0.0.1).
func checkRoutedRequests(t *testing.T, r contentReport, publicURL string, chunk callautomation.RecordingChunk) {
	t.Helper()
	if len(r.Sent) == 0 {
		t.Fatal("the report lists no request sent through the loopback httpClient")
	}
	publicHost := strings.TrimPrefix(publicURL, "https://")
	ranges := map[string]bool{}
	methods := map[string]int{}
	for _, s := range r.Sent {
		if !strings.HasPrefix(s.URL, publicURL+"/") || s.Host != publicHost {
			t.Errorf("SDK 1.6.0 sent %s %s with Host %q; want URLs under %s with Host %s", s.Method, s.URL, s.Host, publicURL, publicHost)
		}
		ranges[s.Range] = true
		methods[s.Method]++
	}
	for _, want := range []string{"bytes=4-11", "bytes=0-"} {
		if !ranges[want] {
			t.Errorf("SDK 1.6.0 sent no Range %s; ranges sent: %v", want, ranges)
		}
	}
	if methods[http.MethodDelete] != 1 {
		t.Errorf("SDK 1.6.0 sent %d DELETEs, want 1 (%s)", methods[http.MethodDelete], chunk.DeleteLocation)
	}
	if len(r.Lookups) == 0 {
		t.Error("the loopback agent resolved no name: the sockets did not go through it")
	}
	for _, h := range r.Lookups {
		if h != asmTestHost {
			t.Errorf("the loopback agent was asked to resolve %q, want only %s", h, asmTestHost)
		}
	}
	t.Logf("SDK 1.6.0 sent %d requests through its httpClient option (%v), ranges %v", len(r.Sent), methods, ranges)
}
