package callautomation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/acswire"
	"github.com/callrec/callrec/internal/testserver"
)

// BenchmarkGetState measures the SDK's cost per request against a real
// node against a baseline run interleaved in the same loop: the same signed
// GET built by hand with net/http and hmacauth. It reports both and their
// ratio (sdk/baseline):
//
//	go test -run '^$' -bench GetState -benchtime 2s ./callautomation
func BenchmarkGetState(b *testing.B) {
	srv := testserver.Start(b)
	c, err := callautomation.NewCallAutomationClient(srv.ConnectionString, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	started, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}, RecordingFormat: callautomation.RecordingFormatWav,
		RecordingContent: callautomation.RecordingContentAudio,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CallRecording().Stop(ctx, started.RecordingID)

	cs, err := hmacauth.ParseConnectionString(srv.ConnectionString)
	if err != nil {
		b.Fatal(err)
	}
	target := "/calling/recordings/" + escapeLikeJS(started.RecordingID) + "?api-version=" + callautomation.DefaultAPIVersion
	httpClient := &http.Client{}
	baseline := func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cs.Endpoint.String()+target, nil)
		if err != nil {
			b.Fatal(err)
		}
		hmacauth.Sign(req, cs.Key, req.URL.Host, target, nil, time.Now())
		resp, err := httpClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var st acswire.RecordingStateResponse
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || json.Unmarshal(body, &st) != nil || st.RecordingID != started.RecordingID {
			b.Fatalf("HTTP %d %s", resp.StatusCode, body)
		}
	}
	sdk := func() {
		if _, err := c.CallRecording().GetState(ctx, started.RecordingID); err != nil {
			b.Fatal(err)
		}
	}
	// Interleaved, so both see the same load on a shared machine.
	var inSDK, inBaseline time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		sdk()
		t1 := time.Now()
		baseline()
		inSDK += t1.Sub(t0)
		inBaseline += time.Since(t1)
		n++
	}
	b.ReportMetric(float64(inSDK.Nanoseconds())/float64(n), "sdk-ns/req")
	b.ReportMetric(float64(inBaseline.Nanoseconds())/float64(n), "baseline-ns/req")
	b.ReportMetric(float64(inSDK)/float64(inBaseline), "sdk/baseline")
}

// escapeLikeJS escapes the characters standard base64 ids contain.
func escapeLikeJS(id string) string {
	out := make([]byte, 0, len(id)*3)
	for i := 0; i < len(id); i++ {
		switch c := id[i]; c {
		case '+', '/', '=':
			out = append(out, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
