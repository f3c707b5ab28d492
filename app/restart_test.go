package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/internal/testserver"
)

// TestStateSurvivesRestart stops a node and starts another on the same data
// directory: the access key, calls and recording states are all still there.
func TestStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	first := testserver.Start(t)
	client, err := callautomation.NewCallAutomationClient(first.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := client.CallRecording()
	paused, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Pause(ctx, paused.RecordingID); err != nil {
		t.Fatal(err)
	}
	active, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: call.ServerCallID}})
	if err != nil {
		t.Fatal(err)
	}
	first.Stop()

	second := testserver.Start(t, testserver.WithDataDir(first.DataDir))
	if second.ConnectionString[len(second.ConnectionString)-20:] != first.ConnectionString[len(first.ConnectionString)-20:] {
		t.Fatal("access key changed across restart")
	}
	client, _ = callautomation.NewCallAutomationClient(second.ConnectionString, nil)
	rec = client.CallRecording()
	for id, want := range map[string]callautomation.RecordingState{paused.RecordingID: "inactive", active.RecordingID: "active"} {
		st, err := rec.GetState(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.RecordingState != want {
			t.Errorf("state after restart %s, want %s", st.RecordingState, want)
		}
		if err := rec.Stop(ctx, id); err != nil {
			t.Fatalf("stop after restart: %v", err)
		}
		_, err = rec.GetState(ctx, id)
		var re *callautomation.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 404 || re.Code != "RecordingNotFound" {
			t.Errorf("state after stop: %v", err)
		}
	}
}
