package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// BenchmarkListRecordingsPage reads a page of 100 recordings at the start
// and at the end of 50,000 (500 calls of 100), with and without a call
// filter: keyset pagination costs the same wherever the page is.
//
//	go test -run '^$' -bench ListRecordingsPage ./sqlite
func BenchmarkListRecordingsPage(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir()+"/callrec.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const calls, perCall = 500, 100
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		for c := range calls {
			if _, err := tx.ExecContext(ctx, `INSERT INTO calls (id, state, created_at) VALUES (?, 'active', ?)`,
				fmt.Sprint("call-", c), formatTime(t0)); err != nil {
				return err
			}
		}
		for i := range calls * perCall {
			r := &callrec.Recording{ID: fmt.Sprint("rec-", i), State: callrec.StateActive, StartedAt: t0,
				Spec: callrec.RecordingSpec{ServerCallID: fmt.Sprint("call-", i%calls), Content: callrec.ContentAudio, Format: callrec.FormatWav}}
			spec, pauses, chunks, err := marshalRecording(r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO recordings (`+recordingColumns+`, call_id) VALUES (?, NULL, ?, 0, ?, ?, NULL, '', ?, ?, ?)`,
				r.ID, r.State, spec, formatTime(r.StartedAt), pauses, chunks, r.Spec.ServerCallID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	last := strconv.Itoa(calls*perCall - 150)
	cases := []struct {
		name string
		q    callrec.RecordingQuery
	}{
		{"all/first", callrec.RecordingQuery{Limit: 100}},
		{"all/last", callrec.RecordingQuery{Limit: 100, After: last}},
		{"call/first", callrec.RecordingQuery{ServerCallID: "call-7", Limit: 10}},
		{"call/last", callrec.RecordingQuery{ServerCallID: "call-7", Limit: 10, After: last}},
		{"stopped/none", callrec.RecordingQuery{State: callrec.StateStopped, Limit: 100}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.ListRecordings(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
