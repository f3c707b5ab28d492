package e2e

import (
	"net"
	"net/http"
	"testing"
	"time"
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
// answer the same state, stop the recording (204), and deliver the callbacks
// that were pending before the crash once the receiver comes up.
func TestKill9KeepsStateAndCallbacks(t *testing.T) {
	dataDir := t.TempDir()
	callbackAddr := freeAddr(t) // nothing listens here until after the restart
	callbackURL := "http://" + callbackAddr + "/crash-callbacks"

	first := startServer(t, serverOptions{dataDir: dataDir, args: fastRetryArgs})
	client := newACSClient(t, first.ConnectionString(), "")
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

	events := receiver.WaitForStates(t, id, 90*time.Second, "active", "inactive")
	for _, ev := range events {
		checkStateEvent(t, ev, callID)
	}
	t.Logf("%d state callbacks delivered after the restart, %d POSTs in all", len(events), len(receiver.Deliveries()))

	second.Terminate(t)
}
