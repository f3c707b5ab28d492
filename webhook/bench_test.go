package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/sqlite"
)

// benchConcurrency is the worker's concurrency and the baseline's.
const benchConcurrency = 8

// BenchmarkDrainSQLiteOutbox drains b.N deliveries from a real SQLite outbox
// (on the test's temporary disk) to a loopback receiver and reports
// deliveries/s together with "x-bare": the time per delivery divided by
// the time per request of bare concurrent POSTs of the same body to the same
// receiver, measured in the same process just before (the floor).
//
// Each delivery costs a share of a claim transaction and a share of a
// RecordAttempts transaction (the outcomes of every attempt that finished
// since the last write), each a durable (fsynced) SQLite commit on one
// connection.
//
//	go test -run XXX -bench Drain -benchtime 2000x ./webhook/
func BenchmarkDrainSQLiteOutbox(b *testing.B) {
	benchDrain(b, func(b *testing.B, evs []callrec.Outgoing) callrec.Outbox {
		ctx := context.Background()
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "bench", State: callrec.CallActive, CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		// Events committed in batches, as state changes commit them.
		for i := 0; i < len(evs); i += 100 {
			if err := db.JoinParticipant(ctx, "bench", fmt.Sprintf("p%d", i), time.Now(), evs[i:min(i+100, len(evs))]...); err != nil {
				b.Fatal(err)
			}
		}
		return db
	})
}

func benchDrain(b *testing.B, fill func(*testing.B, []callrec.Outgoing) callrec.Outbox) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got++
		mu.Unlock()
	}))
	defer srv.Close()

	evs := make([]callrec.Outgoing, b.N)
	for i := range evs {
		ev := testEvent(i)
		ev.Time = time.Now()
		evs[i] = callrec.Outgoing{Event: ev, Targets: []callrec.Target{{URL: srv.URL, Schema: callrec.SchemaEventGrid, Subscription: "bench"}}}
	}
	msg, err := Encode(evs[0].Event, evs[0].Targets[0], 0)
	if err != nil {
		b.Fatal(err)
	}
	// One client for both, keeping a connection per concurrent request.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}}
	defer client.CloseIdleConnections()
	bare := barePOSTs(b, client, srv.URL, msg.Body, b.N)
	mu.Lock()
	got = 0
	mu.Unlock()
	ob := fill(b, evs)

	b.ResetTimer()
	start := time.Now()
	w, err := New(Config{Outbox: ob, Client: client, Concurrency: benchConcurrency, PerTargetConcurrency: benchConcurrency,
		Logger: slog.New(slog.DiscardHandler), PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for {
		mu.Lock()
		n := got
		mu.Unlock()
		if n >= b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(elapsed.Seconds()/bare.Seconds(), "x-bare")
}

// barePOSTs sends n POSTs of body with benchConcurrency goroutines and
// returns the elapsed time.
func barePOSTs(b *testing.B, client *http.Client, url string, body []byte, n int) time.Duration {
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	start := time.Now()
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Go(func() {
			for range jobs {
				resp, err := client.Post(url, ContentTypeJSON, bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
