package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/webhook"
)

// runEventsCLI runs `callrec events …` in process until it ends or ctx does.
func runEventsCLI(t *testing.T, ctx context.Context, cs string, args ...string) (string, error) {
	t.Helper()
	var stdout bytes.Buffer
	err := runEventsCLITo(t, ctx, cs, &stdout, io.Discard, args...)
	return stdout.String(), err
}

// runEventsCLITo is runEventsCLI writing the command's output to stdout and
// stderr as it goes.
func runEventsCLITo(t *testing.T, ctx context.Context, cs string, stdout, stderr io.Writer, args ...string) error {
	t.Helper()
	t.Setenv(connectionStringEnv, cs)
	root := &cobra.Command{Use: "callrec", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newEventsCmd())
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(append([]string{"events"}, args...))
	return root.ExecuteContext(ctx)
}

// recordAndStop starts a recording of a new call and stops it, and returns
// the recording's id.
func recordAndStop(t *testing.T, c *callautomation.Client) string {
	t.Helper()
	ctx := t.Context()
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
	return st.RecordingID
}

// TestEventsCommands drives subscribe, list, dead-letters, replay, tail and
// unsubscribe against a real node and an Event Grid endpoint that rejects
// the first notification with 400.
func TestEventsCommands(t *testing.T) {
	s := testserver.Start(t, testserver.FastWebhooks())
	var mu sync.Mutex
	rejectNext := true
	var ids []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var evs []map[string]any
		json.Unmarshal(body, &evs)
		if r.Header.Get(webhook.HeaderEventGridEventType) == "SubscriptionValidation" {
			json.NewEncoder(w).Encode(map[string]any{"validationResponse": evs[0]["data"].(map[string]any)["validationCode"]})
			return
		}
		if err := webhook.VerifySignature(r.Header.Get(webhook.SignatureHeader), "cli-secret", body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if rejectNext {
			rejectNext = false
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ids = append(ids, evs[0]["id"].(string))
	}))
	defer recv.Close()
	ctx := context.Background()
	cs := s.ConnectionString

	out, err := runEventsCLI(t, ctx, cs, "subscribe", "--name", "cli-files", "--url", recv.URL,
		"--type", callrec.EventRecordingFileStatusUpdated, "--secret", "cli-secret")
	if err != nil {
		t.Fatal(err)
	}
	var sub callrec.Subscription
	if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.State != callrec.SubscriptionValidated || sub.Secret != "" {
		t.Fatalf("subscribe printed %s (%v)", out, err)
	}
	if _, err := runEventsCLI(t, ctx, cs, "subscribe", "--name", "bad", "--url", recv.URL, "--schema", "xml"); err == nil ||
		!strings.Contains(err.Error(), "schema") {
		t.Errorf("--schema xml: %v", err)
	}
	out, err = runEventsCLI(t, ctx, cs, "list")
	if err != nil || !strings.Contains(out, "cli-files") || !strings.Contains(out, "validated") {
		t.Fatalf("list: %v\n%s", err, out)
	}

	client, err := callautomation.NewCallAutomationClient(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	recordAndStop(t, client)

	var dead []callrec.Delivery
	for deadline := time.Now().Add(10 * time.Second); len(dead) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		out, err := runEventsCLI(t, ctx, cs, "dead-letters")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &dead); err != nil {
			t.Fatalf("dead-letters printed %s: %v", out, err)
		}
	}
	if _, err := runEventsCLI(t, ctx, cs, "replay", strconv.FormatInt(dead[0].ID, 10)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("replay not delivered")
		}
	}
	if ids[0] != dead[0].Event.ID {
		t.Errorf("replay delivered %s, want %s", ids[0], dead[0].Event.ID)
	}

	tailCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	out, err = runEventsCLI(t, tailCtx, cs, "tail", "--after", "0")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last callrec.Event
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("tail printed %q: %v", out, err)
	}
	if !strings.Contains(out, callrec.EventRecordingFileStatusUpdated) || !strings.Contains(out, "Callrec.Recording.Started") {
		t.Errorf("tail --after 0 printed:\n%s", out)
	}

	if _, err := runEventsCLI(t, ctx, cs, "unsubscribe", "cli-files"); err != nil {
		t.Fatal(err)
	}
	if _, err := runEventsCLI(t, ctx, cs, "unsubscribe", "cli-files"); err == nil {
		t.Error("second unsubscribe succeeded")
	}
}
