package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
)

// flakyEndpoint is an Event Grid endpoint that answers the validation
// handshake, then 500 to the first `fail` notifications and 200 after.
type flakyEndpoint struct {
	mu    sync.Mutex
	fail  int
	seen  []string // event id of each notification
	codes []int
}

func (f *flakyEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("aeg-event-type") == "SubscriptionValidation" {
		answerValidation(w, body)
		return
	}
	var evs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &evs); err != nil || len(evs) != 1 {
		http.Error(w, "want an array of one event", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	code := http.StatusOK
	if f.fail > 0 {
		f.fail--
		code = http.StatusInternalServerError
	}
	f.seen, f.codes = append(f.seen, evs[0].ID), append(f.codes, code)
	w.WriteHeader(code)
}

// TestSubscriptionFromFileSurvivesKill9 runs the real binary with an event
// subscription from a --subscriptions file. The endpoint goes down after
// validation; a recording's file event fails its first attempt, the server
// is killed with SIGKILL, restarted (the unchanged, validated subscription
// is not validated again, so the restart does not need the endpoint),
// fails again, is killed again; then the endpoint comes back answering 500
// once, then 200. The event arrives exactly once as a success, every
// attempt with the same id; `callrec events list` and `dead-letters` tell
// the operator the same.
func TestSubscriptionFromFileSurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	endpointAddr := freeAddr(t)
	endpoint := &flakyEndpoint{}
	ln, err := net.Listen("tcp", endpointAddr)
	if err != nil {
		t.Fatal(err)
	}
	up := &http.Server{Handler: endpoint}
	go up.Serve(ln)

	subsFile := filepath.Join(t.TempDir(), "subscriptions.json")
	subs, _ := json.Marshal([]callrec.Subscription{{
		Name: "e2e-file-sub", URL: "http://" + endpointAddr + "/events", Schema: callrec.SchemaEventGrid,
		Types: []string{callrec.EventRecordingFileStatusUpdated},
	}})
	if err := os.WriteFile(subsFile, subs, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--subscriptions", subsFile}, fastRetryArgs...)

	first := startServer(t, serverOptions{dataDir: dataDir, args: args})
	cs := first.ConnectionString()
	up.Close() // the endpoint is down from here on

	c, err := callautomation.NewCallAutomationClient(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub, err := c.Events().Subscription(ctx, "e2e-file-sub")
	if err != nil || sub.State != callrec.SubscriptionValidated {
		t.Fatalf("subscription from the file: %+v %v", sub, err)
	}
	call, err := c.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.CallRecording().Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CallRecording().Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}

	first.WaitForLog(t, "webhook attempt failed", 1, 20*time.Second)
	first.Kill(t)
	second := startServer(t, serverOptions{dataDir: dataDir, addr: first.addr, args: args})
	second.WaitForLog(t, "webhook attempt failed", 1, 60*time.Second)
	second.Kill(t)

	endpoint.mu.Lock()
	endpoint.fail = 1
	endpoint.mu.Unlock()
	ln, err = net.Listen("tcp", endpointAddr)
	if err != nil {
		t.Fatalf("bringing the endpoint back on %s: %v", endpointAddr, err)
	}
	back := &http.Server{Handler: endpoint}
	go back.Serve(ln)
	t.Cleanup(func() { back.Close() })
	third := startServer(t, serverOptions{dataDir: dataDir, addr: first.addr, args: args})

	deadline := time.Now().Add(90 * time.Second) // a delivery killed in flight stays leased ~34 s
	for {
		endpoint.mu.Lock()
		codes, seen := append([]int(nil), endpoint.codes...), append([]string(nil), endpoint.seen...)
		endpoint.mu.Unlock()
		if len(codes) > 0 && codes[len(codes)-1] == http.StatusOK {
			if len(codes) != 2 || codes[0] != http.StatusInternalServerError {
				t.Errorf("endpoint answered %v, want [500 200]", codes)
			}
			for _, id := range seen {
				if id != seen[0] {
					t.Errorf("event ids %v differ between attempts", seen)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful delivery; endpoint answered %v", codes)
		}
		time.Sleep(50 * time.Millisecond)
	}

	list := runClient(t, cs, "events", "list")
	if !strings.Contains(list, "e2e-file-sub") || !strings.Contains(list, "validated") {
		t.Errorf("callrec events list:\n%s", list)
	}
	if dead := strings.TrimSpace(runClient(t, cs, "events", "dead-letters")); dead != "[]" {
		t.Errorf("callrec events dead-letters: %s, want []", dead)
	}
	third.Terminate(t)
}

// runClient runs a client command of the real binary and returns stdout.
func runClient(t *testing.T, connectionString string, args ...string) string {
	t.Helper()
	cmd := exec.Command(callrecBinary(t), args...)
	cmd.Env = append(childEnv(), "CALLREC_CONNECTION_STRING="+connectionString)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("callrec %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
