package callautomation_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callautomation"
)

func TestListCallsPager(t *testing.T) {
	c, _ := newClient(t)
	ctx := t.Context()
	var all []string
	for range 5 {
		all = append(all, newCall(t, c))
	}
	if err := c.Calls().End(ctx, all[3]); err != nil {
		t.Fatal(err)
	}
	pager := c.Calls().List(callautomation.ListCallsOptions{MaxPageSize: 2})
	var got []string
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, call := range page {
			got = append(got, call.ServerCallID)
		}
	}
	if !slices.Equal(got, all) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", got, pages, all)
	}
	if page, err := pager.NextPage(ctx); page != nil || err != nil {
		t.Errorf("NextPage after the last page: %v %v", page, err)
	}
	got = nil
	for call, err := range c.Calls().List(callautomation.ListCallsOptions{State: callrec.CallEnded, MaxPageSize: 1}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, call.ServerCallID)
	}
	if !slices.Equal(got, all[3:4]) {
		t.Fatalf("ended calls %v, want %v", got, all[3:4])
	}
	for _, err := range c.Calls().List(callautomation.ListCallsOptions{State: "over"}).All(ctx) {
		responseError(t, "bad state filter", err, 400, "InvalidRequest")
	}
}

// TestListRecordingsAndDownloadAll: the recordings of a call, by state;
// Get lists them too; DownloadAll writes a stopped recording's files with
// clear names and skips what was deleted.
func TestListRecordingsAndDownloadAll(t *testing.T) {
	c, _ := newClient(t)
	ctx := t.Context()
	callID, other := newCall(t, c), newCall(t, c)
	rec := c.CallRecording()
	start := func(call string) string {
		t.Helper()
		st, err := rec.Start(ctx, callautomation.StartRecordingOptions{
			CallLocator: callautomation.ServerCallLocator{ID: call}, RecordingFormat: callautomation.RecordingFormatWav,
		})
		if err != nil {
			t.Fatal(err)
		}
		return st.RecordingID
	}
	stopped, live := start(callID), start(callID)
	start(other)
	if err := rec.Stop(ctx, stopped); err != nil {
		t.Fatal(err)
	}
	list := func(opts callautomation.ListRecordingsOptions) []string {
		t.Helper()
		var ids []string
		opts.MaxPageSize = 1
		for s, err := range rec.List(opts).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if s.ServerCallID == "" || s.StartTime.IsZero() || s.RecordingFormatType != callautomation.RecordingFormatWav {
				t.Errorf("summary %+v", s)
			}
			ids = append(ids, s.RecordingID+"="+string(s.RecordingState))
		}
		return ids
	}
	if got, want := list(callautomation.ListRecordingsOptions{ServerCallID: callID}), []string{stopped + "=stopped", live + "=active"}; !slices.Equal(got, want) {
		t.Errorf("recordings of the call %v, want %v", got, want)
	}
	if got, want := list(callautomation.ListRecordingsOptions{State: callautomation.RecordingStateStopped}), []string{stopped + "=stopped"}; !slices.Equal(got, want) {
		t.Errorf("stopped recordings %v, want %v", got, want)
	}
	details, err := c.Calls().Get(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(details.Recordings) != 2 || details.Recordings[0].RecordingID != stopped || details.Recordings[0].ChunkCount != 1 ||
		details.Recordings[1].RecordingState != callautomation.RecordingStateActive {
		t.Errorf("call details %+v", details)
	}

	if _, err := rec.DownloadAll(ctx, live, t.TempDir()); err == nil {
		t.Error("DownloadAll of a running recording succeeded")
	}
	dir := filepath.Join(t.TempDir(), "new", "dir")
	got, err := rec.DownloadAll(ctx, stopped, dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rec.Result(ctx, stopped)
	if err != nil {
		t.Fatal(err)
	}
	chunk := res.RecordingStorageInfo.RecordingChunks[0]
	base := filepath.Join(dir, "chunk-0-"+chunk.DocumentID)
	if len(got.Files) != 2 || got.Files[0].Path != base+".wav" || got.Files[1].Path != base+".metadata.json" ||
		!got.Files[1].Metadata || got.Files[0].DocumentID != chunk.DocumentID || len(got.Deleted) != 0 {
		t.Fatalf("DownloadAll %+v", got)
	}
	for i, loc := range []string{chunk.ContentLocation, chunk.MetadataLocation} {
		var want bytes.Buffer
		if _, err := rec.DownloadTo(ctx, loc, &want); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(got.Files[i].Path)
		if err != nil || !bytes.Equal(b, want.Bytes()) || got.Files[i].Bytes != int64(len(b)) {
			t.Errorf("%s: %d bytes (%v), the server has %d", got.Files[i].Path, len(b), err, want.Len())
		}
		if st, err := os.Stat(got.Files[i].Path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v %v", got.Files[i].Path, st.Mode(), err)
		}
	}
	var md struct {
		ChunkDocumentID string `json:"chunkDocumentId"`
	}
	if b, _ := os.ReadFile(base + ".metadata.json"); json.Unmarshal(b, &md) != nil || md.ChunkDocumentID != chunk.DocumentID {
		t.Errorf("metadata names chunk %q, want %q", md.ChunkDocumentID, chunk.DocumentID)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("DownloadAll left %d entries in %s", len(entries), dir)
	}

	if err := rec.Delete(ctx, chunk.DeleteLocation); err != nil {
		t.Fatal(err)
	}
	res, err = rec.Result(ctx, stopped)
	if err != nil || !res.RecordingStorageInfo.RecordingChunks[0].Deleted {
		t.Fatalf("result after delete: %+v %v", res, err)
	}
	got, err = rec.DownloadAll(ctx, stopped, t.TempDir())
	if err != nil || len(got.Files) != 0 || len(got.Deleted) != 1 || got.Deleted[0].DocumentID != chunk.DocumentID {
		t.Fatalf("DownloadAll after delete: %+v %v", got, err)
	}
}
