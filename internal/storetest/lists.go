package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testListCalls: pages of calls follow creation order, a call
// created between two pages appears once at the end, filters apply, and
// participants come with each call.
func testListCalls(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []string
	create := func(i int) {
		t.Helper()
		id := fmt.Sprintf("call-%02d", i)
		// Creation times out of order: the list follows insertion.
		if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: id, State: callrec.CallActive, CreatedAt: t0.Add(time.Duration(10-i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	for i := range 7 {
		create(i)
	}
	if err := db.JoinParticipant(ctx, "call-01", "8:acs:a", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.JoinParticipant(ctx, "call-01", "4:+14255550100", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"call-02", "call-05"} {
		if err := db.EndCall(ctx, id, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	var pages int
	q := callrec.CallQuery{Limit: 3}
	for {
		page, err := db.ListCalls(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Calls) > 3 {
			t.Fatalf("page of %d calls, limit 3", len(page.Calls))
		}
		for _, c := range page.Calls {
			got = append(got, c.ServerCallID)
			if c.ServerCallID == "call-01" && (len(c.Participants) != 2 || c.Participants[0].RawID != "8:acs:a") {
				t.Errorf("call-01 participants %+v", c.Participants)
			}
			if c.ServerCallID == "call-02" && (c.State != callrec.CallEnded || c.EndedAt == nil) {
				t.Errorf("call-02 %+v", c)
			}
		}
		if pages == 1 {
			create(7) // lands after the cursor, read on a later page
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", got, pages, want)
	}

	page, err := db.ListCalls(ctx, callrec.CallQuery{State: callrec.CallEnded, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ended []string
	for _, c := range page.Calls {
		ended = append(ended, c.ServerCallID)
	}
	if !slices.Equal(ended, []string{"call-02", "call-05"}) || page.Next != "" {
		t.Fatalf("ended calls %v next %q", ended, page.Next)
	}
	// A full last page says there is no more only when nothing follows.
	page, err = db.ListCalls(ctx, callrec.CallQuery{State: callrec.CallEnded, Limit: 2})
	if err != nil || len(page.Calls) != 2 || page.Next != "" {
		t.Fatalf("exact page: %d calls, next %q, %v", len(page.Calls), page.Next, err)
	}
	for _, bad := range []string{"x", "-3", "0", "1e3"} {
		if _, err := db.ListCalls(ctx, callrec.CallQuery{After: bad}); callrec.CodeOf(err) != callrec.CodeInvalidContinuationToken {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// testListRecordings: by call and by listed state (active, inactive,
// stopped), across pages.
func testListRecordings(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range []string{"A", "B"} {
		if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: id, State: callrec.CallActive, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	states := map[string]callrec.RecordingState{}
	for i := range 9 {
		r := &callrec.Recording{
			ID:        fmt.Sprintf("rec-%d", i),
			Spec:      callrec.RecordingSpec{ServerCallID: []string{"A", "B"}[i%2], Content: callrec.ContentAudio, Format: callrec.FormatWav},
			State:     callrec.StateActive,
			StartedAt: t0.Add(time.Duration(i) * time.Second),
		}
		if _, _, err := db.CreateRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 1:
			r.State = callrec.StateInactive
		case 2:
			stop := t0.Add(time.Hour)
			r.State, r.Stopped, r.StoppedAt, r.EndReason = callrec.StateInactive, true, &stop, callrec.EndReasonSessionEnded
			r.Chunks = []callrec.Chunk{{DocumentID: "doc", EndReason: callrec.EndReasonSessionEnded, DurationMs: 1000}}
		}
		if err := db.UpdateRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		states[r.ID] = r.ListedState()
	}
	list := func(q callrec.RecordingQuery) []string {
		t.Helper()
		var ids []string
		q.Limit = 2
		for {
			page, err := db.ListRecordings(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Recordings {
				if q.ServerCallID != "" && r.Spec.ServerCallID != q.ServerCallID {
					t.Errorf("%s of call %s listed for call %s", r.ID, r.Spec.ServerCallID, q.ServerCallID)
				}
				if q.State != "" && r.ListedState() != q.State {
					t.Errorf("%s is %s, listed as %s", r.ID, r.ListedState(), q.State)
				}
				ids = append(ids, r.ID)
			}
			if page.Next == "" {
				return ids
			}
			q.After = page.Next
		}
	}
	cases := []struct {
		q    callrec.RecordingQuery
		want []string
	}{
		{callrec.RecordingQuery{}, []string{"rec-0", "rec-1", "rec-2", "rec-3", "rec-4", "rec-5", "rec-6", "rec-7", "rec-8"}},
		{callrec.RecordingQuery{ServerCallID: "B"}, []string{"rec-1", "rec-3", "rec-5", "rec-7"}},
		{callrec.RecordingQuery{State: callrec.StateActive}, []string{"rec-0", "rec-3", "rec-6"}},
		{callrec.RecordingQuery{State: callrec.StateInactive}, []string{"rec-1", "rec-4", "rec-7"}},
		{callrec.RecordingQuery{State: callrec.StateStopped}, []string{"rec-2", "rec-5", "rec-8"}},
		{callrec.RecordingQuery{ServerCallID: "A", State: callrec.StateStopped}, []string{"rec-2", "rec-8"}},
		{callrec.RecordingQuery{ServerCallID: "nobody"}, nil},
	}
	for _, c := range cases {
		if got := list(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	page, err := db.ListRecordings(ctx, callrec.RecordingQuery{State: callrec.StateStopped, Limit: 1})
	if err != nil || len(page.Recordings) != 1 || len(page.Recordings[0].Chunks) != 1 || page.Recordings[0].StoppedAt == nil {
		t.Fatalf("stopped recording as listed: %+v %v", page, err)
	}
}
