package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
)

// fastRetryArgs make the webhook delivery worker retry within a second
// instead of on Event Grid's 10 s, 30 s, 1 min… schedule, so the test waits
// for the receiver, not for the schedule. A short attempt timeout also
// shortens the lease (2×timeout + 30 s) that hides a delivery that was in
// flight when the server was killed.
var fastRetryArgs = []string{
	"--webhook-retry-schedule", "200ms,500ms",
	"--webhook-retry-then", "500ms",
	"--webhook-poll-interval", "200ms",
	"--webhook-attempt-timeout", "2s",
}

// TestKill9KeepsStateAndCallbacks is the crash acceptance test: a recording
// is started and paused while its callback receiver is down, the server is
// killed with SIGKILL, and a new server on the same data directory must
// answer the same state, stop the recording (204), list the chunk the killed
// process was writing as ended by ServiceRestarted, send the recording's
// RecordingFileStatusUpdated event to a subscription made before the crash,
// and deliver the state callbacks that were pending before the crash once
// their receiver comes up. (recording_crash_test.go checks the audio.)
func TestKill9KeepsStateAndCallbacks(t *testing.T) {
	dataDir := t.TempDir()
	callbackAddr := freeAddr(t) // nothing listens here until after the restart
	callbackURL := "http://" + callbackAddr + "/crash-callbacks"

	first := startServer(t, serverOptions{dataDir: dataDir, args: fastRetryArgs})
	client := newACSClient(t, first.ConnectionString(), "")
	files := startCallbackReceiver(t, nil) // up all along: file events
	subscribeFileEvents(t, first.ConnectionString(), files.URL+"/files")
	callID := client.CreateCall(t)

	start := client.must(t, http.MethodPost, "/calling/recordings", map[string]any{
		"callLocator":               map[string]any{"kind": "serverCallLocator", "serverCallId": callID},
		"recordingStateCallbackUri": callbackURL,
		"recordingContentType":      "audio",
		"recordingChannelType":      "mixed",
		"recordingFormatType":       "wav",
	}, http.StatusOK)
	var started recordingState
	decodeJSON(t, start.Body, &started)
	if started.RecordingID == "" {
		t.Fatalf("start: no recordingId in %s", start.Body)
	}
	id := started.RecordingID
	client.must(t, http.MethodPost, recordingPath(id, ":pause"), nil, http.StatusAccepted)
	before := client.GetState(t, id)
	if before.RecordingState != "inactive" {
		t.Fatalf("state after pause = %q, want inactive", before.RecordingState)
	}

	// Let both callbacks fail once first: a delivery killed in flight stays
	// leased (hidden) for 2×attempt timeout + 30 s after the restart, which
	// would only make this test slow.
	first.WaitForLog(t, "webhook attempt failed", 2, 10*time.Second)
	first.Kill(t)

	second := startServer(t, serverOptions{dataDir: dataDir, addr: first.addr, args: fastRetryArgs})
	if second.ConnectionString() != first.ConnectionString() {
		t.Fatalf("after restart the connection string changed:\n  before %s\n  after  %s", first.ConnectionString(), second.ConnectionString())
	}
	ln, err := net.Listen("tcp", callbackAddr)
	if err != nil {
		t.Fatalf("bringing the callback receiver up on %s: %v", callbackAddr, err)
	}
	receiver := startCallbackReceiver(t, ln)

	client = newACSClient(t, second.ConnectionString(), "")
	after := client.GetState(t, id)
	if after != before {
		t.Fatalf("state after kill -9 and restart = %+v, want %+v", after, before)
	}
	client.must(t, http.MethodDelete, recordingPath(id, ""), nil, http.StatusNoContent)
	gone := client.must(t, http.MethodGet, recordingPath(id, ""), nil, http.StatusNotFound)
	requireACSError(t, gone, http.StatusNotFound)

	chunks := client.WaitForChunks(t, id, 30*time.Second)
	if !strings.EqualFold(chunks[0].EndReason, "ServiceRestarted") {
		t.Errorf("first chunk ended with %q, want ServiceRestarted: %+v", chunks[0].EndReason, chunks)
	}
	fileEvent := files.WaitForFileStatus(t, id, time.Minute)
	if got := fileEvent.Data.RecordingStorageInfo.RecordingChunks; len(got) != len(chunks) || got[0].DocumentID != chunks[0].DocumentID {
		t.Errorf("RecordingFileStatusUpdated lists chunks %+v, the result %+v", got, chunks)
	}

	events := receiver.WaitForStates(t, id, 90*time.Second, "active", "inactive")
	for _, ev := range events {
		checkStateEvent(t, ev, callID)
	}
	t.Logf("%d state callbacks delivered after the restart, %d POSTs in all", len(events), len(receiver.Deliveries()))

	second.Terminate(t)
}

// subscribeFileEvents subscribes url to RecordingFileStatusUpdated (Event
// Grid schema) through callrec's Go SDK; the receiver answers the handshake.
func subscribeFileEvents(t *testing.T, connectionString, url string) {
	t.Helper()
	c, err := callautomation.NewCallAutomationClient(connectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := c.Events().Subscribe(ctx, callrec.Subscription{
		Name:   "e2e-files",
		URL:    url,
		Schema: callrec.SchemaEventGrid,
		Types:  []string{callrec.EventRecordingFileStatusUpdated},
	})
	if err != nil {
		t.Fatalf("subscribing to file events: %v", err)
	}
	if sub.State != callrec.SubscriptionValidated {
		t.Fatalf("subscription state %q, want validated", sub.State)
	}
}
