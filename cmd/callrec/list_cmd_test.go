package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/callrec/callrec/internal/testserver"
)

// TestCLIListsAndDownloadByID: `call list` and `recording list` as tables
// and JSON, with filters, over more than one page; `recording download ID
// -o DIR` writes every file of a recording.
func TestCLIListsAndDownloadByID(t *testing.T) {
	srv := testserver.Start(t)
	cs := srv.ConnectionString
	var calls []string
	for range 3 {
		calls = append(calls, singleLine(t, "call create", mustRun(t, cs, "call", "create")))
	}
	mustRun(t, cs, "call", "end", calls[2])
	start := func(call string) string {
		return singleLine(t, "recording start", mustRun(t, cs, "recording", "start", "--call", call))
	}
	stopped, paused, active := start(calls[0]), start(calls[0]), start(calls[1])
	mustRun(t, cs, "recording", "stop", stopped)
	mustRun(t, cs, "recording", "pause", paused)

	var listed []struct{ ServerCallID, State string }
	if err := json.Unmarshal([]byte(mustRun(t, cs, "call", "list", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range listed {
		ids = append(ids, c.ServerCallID)
	}
	if !slices.Equal(ids, calls) || listed[2].State != "ended" {
		t.Fatalf("call list --json: %+v, want %v", listed, calls)
	}
	table := mustRun(t, cs, "call", "list", "--state", "ended")
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "SERVER CALL ID") || !strings.HasPrefix(lines[1], calls[2]+" ") || !strings.Contains(lines[1], "ended") {
		t.Fatalf("call list --state ended:\n%s", table)
	}
	if out := mustRun(t, cs, "call", "list", "--state", "ended", "--json"); strings.TrimSpace(out) == "[]" {
		t.Fatalf("call list --state ended --json: %s", out)
	}

	type summary struct {
		RecordingID, ServerCallID, RecordingState, StartTime string
	}
	listRecs := func(args ...string) []summary {
		t.Helper()
		var out []summary
		if err := json.Unmarshal([]byte(mustRun(t, cs, append([]string{"recording", "list", "--json"}, args...)...)), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := listRecs()
	want := []summary{{stopped, calls[0], "stopped", ""}, {paused, calls[0], "inactive", ""}, {active, calls[1], "active", ""}}
	if len(all) != len(want) {
		t.Fatalf("recording list --json: %+v", all)
	}
	for i, s := range all {
		if s.RecordingID != want[i].RecordingID || s.ServerCallID != want[i].ServerCallID || s.RecordingState != want[i].RecordingState || s.StartTime == "" {
			t.Errorf("recording %d: %+v, want %+v with a startTime", i, s, want[i])
		}
	}
	if got := listRecs("--call", calls[0], "--state", "stopped"); len(got) != 1 || got[0].RecordingID != stopped {
		t.Errorf("recording list --call --state stopped: %+v", got)
	}
	if got := listRecs("--call", "bm8tc3VjaA=="); got == nil || len(got) != 0 {
		t.Errorf("recordings of an unknown call: %+v", got)
	}
	table = mustRun(t, cs, "recording", "list", "--call", calls[0])
	lines = strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "RECORDING ID") || !strings.Contains(lines[1], "stopped") || !strings.Contains(lines[2], "inactive") {
		t.Errorf("recording list --call:\n%s", table)
	}
	if out := mustRun(t, cs, "recording", "list", "--call", "bm8tc3VjaA=="); out != "" {
		t.Errorf("empty table printed %q", out)
	}

	dir := filepath.Join(t.TempDir(), "rec")
	files := strings.Fields(mustRun(t, cs, "recording", "download", stopped, "-o", dir))
	if len(files) != 2 || !strings.HasSuffix(files[0], ".wav") || !strings.HasSuffix(files[1], ".metadata.json") {
		t.Fatalf("download by id printed %v", files)
	}
	for _, f := range files {
		if filepath.Dir(f) != dir || !strings.HasPrefix(filepath.Base(f), "chunk-0-") {
			t.Errorf("file %s not named chunk-0-… in %s", f, dir)
		}
	}
	b, err := os.ReadFile(files[0])
	if err != nil || len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file (%v)", files[0], err)
	}
	r := runCLI(t, cs, "recording", "download", active, "-o", t.TempDir())
	if r.err == nil || !strings.Contains(r.stderr, "still recording") {
		t.Errorf("download of a running recording: %v %q", r.err, r.stderr)
	}
	var res struct {
		RecordingStorageInfo struct {
			RecordingChunks []struct {
				DeleteLocation string `json:"deleteLocation"`
				Deleted        bool   `json:"deleted"`
			} `json:"recordingChunks"`
		} `json:"recordingStorageInfo"`
	}
	json.Unmarshal([]byte(mustRun(t, cs, "recording", "result", stopped)), &res)
	mustRun(t, cs, "recording", "delete", res.RecordingStorageInfo.RecordingChunks[0].DeleteLocation)
	json.Unmarshal([]byte(mustRun(t, cs, "recording", "result", stopped)), &res)
	if !res.RecordingStorageInfo.RecordingChunks[0].Deleted {
		t.Errorf("result after delete: %+v", res)
	}
	r = runCLI(t, cs, "recording", "download", stopped, "-o", t.TempDir())
	if r.err == nil || r.stdout != "" || !strings.Contains(r.stderr, "chunk 0 (") || !strings.Contains(r.stderr, "was deleted") {
		t.Errorf("download after delete: %v stdout %q stderr %q", r.err, r.stdout, r.stderr)
	}
}

// TestCLIStartHelpOffersWhatTheServerRecords: `recording start --help`
// offers audio as WAV (mixed or unmixed) or MP3 (mixed), and audioVideo as
// MP4, the default.
func TestCLIStartHelpOffersWhatTheServerRecords(t *testing.T) {
	help := mustRun(t, "", "recording", "start", "--help")
	for _, want := range []string{"--format", "wav", "mp3", "mp4", "--channel", "mixed", "unmixed", "--content", "audio", "audioVideo", "--default-format"} {
		if !strings.Contains(help, want) {
			t.Errorf("start --help lacks %q:\n%s", want, help)
		}
	}
}
