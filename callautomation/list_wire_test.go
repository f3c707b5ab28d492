package callautomation

import (
	"net/http"
	"strings"
	"testing"
)

// TestListFollowsNextLink: the first request carries the filters, each
// next one is exactly the nextLink's path and query, signed; a nextLink to
// another host is refused after the page that carried it.
func TestListFollowsNextLink(t *testing.T) {
	var srv *wireServer
	srv = newWireServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			writeJSON(w, 200, `{"value":[{"recordingId":"r1","recordingState":"stopped"}],"nextLink":"`+srv.URL+`/calling/recordings?continuationToken=dDox&state=stopped"}`)
		case 1:
			writeJSON(w, 200, `{"value":[{"recordingId":"r2","recordingState":"stopped"}],"nextLink":"http://elsewhere.example/calling/recordings?continuationToken=dDoy"}`)
		default:
			t.Errorf("request %d: %s", n, r.RequestURI)
		}
	})
	pager := srv.client(t, &ClientOptions{APIVersion: "2025-06-15"}).CallRecording().List(ListRecordingsOptions{
		ServerCallID: "aGk+/w==", State: RecordingStateStopped, MaxPageSize: 1,
	})
	var ids []string
	var lastErr error
	for s, err := range pager.All(t.Context()) {
		if err != nil {
			lastErr = err
			break
		}
		ids = append(ids, s.RecordingID)
	}
	if strings.Join(ids, ",") != "r1,r2" || lastErr == nil || !strings.Contains(lastErr.Error(), "elsewhere.example") {
		t.Fatalf("listed %v, then %v", ids, lastErr)
	}
	want := []string{
		"/calling/recordings?api-version=2025-06-15&maxPageSize=1&serverCallId=aGk%2B%2Fw%3D%3D&state=stopped",
		"/calling/recordings?continuationToken=dDox&state=stopped",
	}
	got := srv.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.Method != "GET" || r.Target != want[i] {
			t.Errorf("request %d: %s %s, want GET %s", i, r.Method, r.Target, want[i])
		}
	}
}
