package webhook

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

func TestWorkerRetriesUntilSuccessWithStableID(t *testing.T) {
	const failures = 3
	rc := newReceiver(t, func(n int, _ *http.Request) reply {
		if n <= failures {
			return reply{status: http.StatusInternalServerError, body: "try later"}
		}
		return reply{status: http.StatusOK}
	})
	ob := newMemOutbox()
	ev := testEvent(1)
	ids := ob.add(ev, callrec.Target{URL: rc.srv.URL + "/hook", Schema: callrec.SchemaEventGrid, Subscription: "sub-a"})
	const secret = "s3cret"
	startWorker(t, Config{
		Outbox: ob, Policy: fastPolicy(),
		Secrets: func(sub string) string {
			if sub == "sub-a" {
				return secret
			}
			return ""
		},
	})
	waitFor(t, "delivery", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDelivered })

	reqs := rc.requests()
	if len(reqs) != failures+1 {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), failures+1)
	}
	for i, r := range reqs {
		if id := eventID(t, r.body); id != ev.ID {
			t.Errorf("attempt %d carried id %q, want %q", i+1, id, ev.ID)
		}
		if got := r.header.Get(HeaderEventGridDeliveryCount); got != strconv.Itoa(i) {
			t.Errorf("attempt %d: aeg-delivery-count %q, want %d", i+1, got, i)
		}
		if string(r.body) != string(reqs[0].body) {
			t.Errorf("attempt %d body differs from the first", i+1)
		}
		if err := VerifySignature(r.header.Get(SignatureHeader), secret, r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("attempt %d signature: %v", i+1, err)
		}
	}
	d := ob.get(ids[0])
	if d.Attempts != failures+1 {
		t.Errorf("Attempts = %d, want %d", d.Attempts, failures+1)
	}
	hist := ob.attempts(ids[0])
	for i, a := range hist[:failures] {
		if a.HTTPStatus != 500 || a.Status != callrec.DeliveryPending || !strings.Contains(a.Error, "HTTP 500") || !strings.Contains(a.Error, "try later") {
			t.Errorf("attempt %d recorded %+v, want pending after HTTP 500 with the body in the error", i+1, a)
		}
		if step := fastPolicy().Step(i + 1); a.Next.Sub(a.At) != step {
			t.Errorf("attempt %d: next after %s, want the schedule step %s", i+1, a.Next.Sub(a.At), step)
		}
	}
	if last := hist[failures]; last.HTTPStatus != 200 || last.Error != "" || !last.Next.IsZero() {
		t.Errorf("final attempt recorded %+v", last)
	}
}

func TestWorkerDeadLettersRejectionsWithoutRetry(t *testing.T) {
	for _, status := range []int{400, 401, 403, 413} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			rc := newReceiver(t, func(int, *http.Request) reply { return reply{status: status, body: "no thanks"} })
			ob := newMemOutbox()
			ids := ob.add(testEvent(status), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})
			_, stop := startWorker(t, Config{Outbox: ob, Policy: fastPolicy()})
			waitFor(t, "dead letter", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDead })
			stop()
			d := ob.get(ids[0])
			if d.Attempts != 1 || len(rc.requests()) != 1 {
				t.Errorf("attempts %d, requests %d; want exactly one of each", d.Attempts, len(rc.requests()))
			}
			want := fmt.Sprintf("%s: HTTP %d", DeadRejected, status)
			if !strings.HasPrefix(d.LastError, want) || d.LastStatus != status {
				t.Errorf("dead delivery: status %d error %q, want %d and prefix %q", d.LastStatus, d.LastError, status, want)
			}
		})
	}
}

func TestWorkerDeadLettersAfterMaxAttempts(t *testing.T) {
	rc := newReceiver(t, func(int, *http.Request) reply { return reply{status: http.StatusBadGateway} })
	ob := newMemOutbox()
	ids := ob.add(testEvent(2), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEvents})
	p := fastPolicy()
	p.MaxAttempts = 4
	startWorker(t, Config{Outbox: ob, Policy: p})
	waitFor(t, "dead letter", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDead })
	d := ob.get(ids[0])
	if d.Attempts != 4 || len(rc.requests()) != 4 {
		t.Errorf("attempts %d, requests %d; want 4", d.Attempts, len(rc.requests()))
	}
	if !strings.HasPrefix(d.LastError, DeadMaxAttempts+": HTTP 502") {
		t.Errorf("last error %q", d.LastError)
	}
}

func TestWorkerHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		value  func() string
	}{
		{"503 seconds", http.StatusServiceUnavailable, func() string { return "1" }},
		{"429 http-date", http.StatusTooManyRequests, func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, func(n int, _ *http.Request) reply {
				if n == 1 {
					return reply{status: tc.status, header: map[string]string{"Retry-After": tc.value()}}
				}
				return reply{status: http.StatusNoContent}
			})
			ob := newMemOutbox()
			ids := ob.add(testEvent(3), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})
			startWorker(t, Config{Outbox: ob, Policy: fastPolicy()})
			waitFor(t, "delivery", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDelivered })
			reqs := rc.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			// The schedule says 10ms; Retry-After asked for at least a second
			// (the HTTP-date, three seconds ahead at one-second resolution,
			// leaves more than two).
			if gap := reqs[1].at.Sub(reqs[0].at); gap < 990*time.Millisecond {
				t.Errorf("second attempt came %s after the first, before Retry-After", gap)
			}
			if a := ob.attempts(ids[0])[0]; a.Next.Sub(a.At) < 990*time.Millisecond {
				t.Errorf("recorded next attempt %s after the first", a.Next.Sub(a.At))
			}
		})
	}
}

func TestWorkerRetriesTimeoutsAndConnectionErrors(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		rc := newReceiver(t, func(n int, _ *http.Request) reply {
			if n == 1 {
				return reply{delay: 10 * time.Second}
			}
			return reply{}
		})
		ob := newMemOutbox()
		ids := ob.add(testEvent(4), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})
		p := fastPolicy()
		p.AttemptTimeout = 200 * time.Millisecond
		startWorker(t, Config{Outbox: ob, Policy: p})
		waitFor(t, "delivery", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDelivered })
		hist := ob.attempts(ids[0])
		if len(hist) != 2 || hist[0].HTTPStatus != 0 || !strings.HasPrefix(hist[0].Error, "timeout") {
			t.Errorf("attempts %+v, want a timeout then success", hist)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String() + "/hook"
		ln.Close()
		ob := newMemOutbox()
		ids := ob.add(testEvent(5), callrec.Target{URL: url, Schema: callrec.SchemaCloudEventsArray})
		p := fastPolicy()
		p.MaxAttempts = 2
		startWorker(t, Config{Outbox: ob, Policy: p})
		waitFor(t, "dead letter", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDead })
		hist := ob.attempts(ids[0])
		if len(hist) != 2 || hist[0].Status != callrec.DeliveryPending || !strings.HasPrefix(hist[0].Error, "connection: ") {
			t.Errorf("attempts %+v, want a retried connection error", hist)
		}
		if !strings.HasPrefix(hist[1].Error, DeadMaxAttempts+": connection: ") {
			t.Errorf("final error %q", hist[1].Error)
		}
	})
}

func TestWorkerDeadLettersUnencodableEvent(t *testing.T) {
	rc := newReceiver(t, func(int, *http.Request) reply { return reply{} })
	ob := newMemOutbox()
	ev := testEvent(6)
	ev.Data = json.RawMessage(`{"broken":`)
	ids := ob.add(ev, callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaEventGrid})
	startWorker(t, Config{Outbox: ob, Policy: fastPolicy()})
	waitFor(t, "dead letter", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDead })
	if d := ob.get(ids[0]); !strings.HasPrefix(d.LastError, DeadInvalid+": ") || d.Attempts != 1 {
		t.Errorf("dead delivery %+v", d)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver got %d requests for an unencodable event", n)
	}
}

func TestWorkerNotifyWakesIdleWorker(t *testing.T) {
	rc := newReceiver(t, func(int, *http.Request) reply { return reply{} })
	ob := newMemOutbox()
	w, _ := startWorker(t, Config{Outbox: ob, Policy: fastPolicy(), PollInterval: time.Hour})
	// Let Run find the outbox empty and go to sleep for an hour.
	waitFor(t, "idle", func() bool { return ob.idlePolls() > 0 })
	ids := ob.add(testEvent(7), callrec.Target{URL: rc.srv.URL, Schema: callrec.SchemaCloudEventsArray})
	w.Notify()
	waitFor(t, "delivery after Notify", func() bool { return ob.get(ids[0]).Status == callrec.DeliveryDelivered })
}

func TestWorkerCapsConcurrencyPerTarget(t *testing.T) {
	const perTarget = 2
	slow := func(int, *http.Request) reply { return reply{delay: 30 * time.Millisecond} }
	a, b := newReceiver(t, slow), newReceiver(t, slow)
	ob := newMemOutbox()
	var ids []int64
	for i := range 12 {
		ids = append(ids, ob.add(testEvent(100+i), callrec.Target{URL: a.srv.URL, Schema: callrec.SchemaEventGrid, Subscription: "a"})...)
		ids = append(ids, ob.add(testEvent(200+i), callrec.Target{URL: b.srv.URL, Schema: callrec.SchemaEventGrid, Subscription: "b"})...)
	}
	startWorker(t, Config{Outbox: ob, Policy: fastPolicy(), Concurrency: 8, PerTargetConcurrency: perTarget})
	waitFor(t, "all delivered", func() bool { return ob.countStatus(callrec.DeliveryDelivered) == len(ids) })
	for name, rc := range map[string]*receiver{"a": a, "b": b} {
		if m := rc.maxInflight(); m > perTarget || m < 1 {
			t.Errorf("subscription %s saw %d requests at once, cap %d", name, m, perTarget)
		}
		if n := len(rc.requests()); n != 12 {
			t.Errorf("subscription %s got %d requests, want 12", name, n)
		}
	}
}
