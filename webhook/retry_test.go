package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

func TestEventGridScheduleAndLimits(t *testing.T) {
	p := EventGridPolicy()
	want := []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute,
		30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour}
	for i, w := range want {
		if got := p.Step(i + 1); got != w {
			t.Errorf("Step(%d) = %s, want %s", i+1, got, w)
		}
	}
	if p.TTL != 24*time.Hour || p.MaxAttempts != 30 || p.AttemptTimeout != 30*time.Second {
		t.Errorf("limits %+v", p)
	}
	if z := (RetryPolicy{}).withDefaults(); z.Step(4) != 5*time.Minute || z.Jitter != DefaultJitter {
		t.Errorf("zero policy does not default to Event Grid: %+v", z)
	}
	if off := (RetryPolicy{Jitter: -1}).withDefaults(); off.Jitter != 0 {
		t.Errorf("negative jitter should disable it, got %v", off.Jitter)
	}
}

// Following the whole default schedule against a receiver that always fails
// ends by TTL after 24h: attempts at 0, 10s, 40s, 1m40s, 6m40s, 16m40s,
// 46m40s, 1h46m40s, 4h46m40s, 10h46m40s, 22h46m40s; the next would be past
// 24h.
func TestDecideWalksTheScheduleToTTL(t *testing.T) {
	p := EventGridPolicy()
	p.Jitter = 0
	born := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	d := callrec.Delivery{CreatedAt: born}
	now := born
	fail := outcome{status: 500, text: "HTTP 500 Internal Server Error"}
	var at []time.Duration
	for {
		at = append(at, now.Sub(born))
		a := p.decide(d, now, fail, func() float64 { return 0 })
		d.Attempts++
		if a.Status == callrec.DeliveryDead {
			if !strings.HasPrefix(a.Error, DeadTTL+": HTTP 500") || !a.Next.IsZero() {
				t.Errorf("final attempt %+v", a)
			}
			break
		}
		now = a.Next
	}
	if len(at) != 11 || at[10] != 22*time.Hour+46*time.Minute+40*time.Second {
		t.Errorf("attempt times %v", at)
	}
}

func TestDecide(t *testing.T) {
	p := RetryPolicy{Schedule: []time.Duration{time.Minute}, Then: time.Hour, MaxAttempts: 5, Jitter: 0.1, MaxRetryAfter: 2 * time.Hour}.withDefaults()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fresh := callrec.Delivery{CreatedAt: now}
	for _, tc := range []struct {
		name     string
		d        callrec.Delivery
		o        outcome
		jitter   float64
		status   callrec.DeliveryStatus
		wait     time.Duration
		errStart string
	}{
		{"200 delivered", fresh, outcome{status: 200}, 0, callrec.DeliveryDelivered, 0, ""},
		{"204 delivered", fresh, outcome{status: 204}, 0, callrec.DeliveryDelivered, 0, ""},
		{"205 retried", fresh, outcome{status: 205, text: "HTTP 205"}, 0, callrec.DeliveryPending, time.Minute, "HTTP 205"},
		{"302 retried", fresh, outcome{status: 302, text: "HTTP 302"}, 0, callrec.DeliveryPending, time.Minute, "HTTP 302"},
		{"404 retried", fresh, outcome{status: 404, text: "HTTP 404"}, 0, callrec.DeliveryPending, time.Minute, "HTTP 404"},
		{"413 dead", fresh, outcome{status: 413, text: "HTTP 413"}, 0, callrec.DeliveryDead, 0, DeadRejected + ": HTTP 413"},
		{"jitter only adds", fresh, outcome{status: 500, text: "x"}, 0.999, callrec.DeliveryPending, time.Minute + time.Duration(0.1*0.999*float64(time.Minute)), "x"},
		{"after schedule: Then", callrec.Delivery{CreatedAt: now, Attempts: 2}, outcome{status: 500, text: "x"}, 0, callrec.DeliveryPending, time.Hour, "x"},
		{"Retry-After longer than step wins", fresh, outcome{status: 503, text: "x", retryAfter: 90 * time.Second}, 0, callrec.DeliveryPending, 90 * time.Second, "x"},
		{"Retry-After shorter than step ignored", fresh, outcome{status: 429, text: "x", retryAfter: time.Second}, 0, callrec.DeliveryPending, time.Minute, "x"},
		{"Retry-After capped", fresh, outcome{status: 429, text: "x", retryAfter: 100 * time.Hour}, 0, callrec.DeliveryPending, 2 * time.Hour, "x"},
		{"Retry-After past TTL: dead", callrec.Delivery{CreatedAt: now.Add(-23 * time.Hour)}, outcome{status: 429, text: "x", retryAfter: 2 * time.Hour}, 0, callrec.DeliveryDead, 0, DeadTTL + ": x"},
		{"last attempt: dead", callrec.Delivery{CreatedAt: now, Attempts: 4}, outcome{status: 500, text: "x"}, 0, callrec.DeliveryDead, 0, DeadMaxAttempts + ": x"},
		{"unencodable: dead", fresh, outcome{invalid: true, text: "bad"}, 0, callrec.DeliveryDead, 0, DeadInvalid + ": bad"},
		{"TTL from event time when no CreatedAt", callrec.Delivery{Event: callrec.Event{Time: now.Add(-24 * time.Hour)}}, outcome{text: "connection: refused"}, 0, callrec.DeliveryDead, 0, DeadTTL + ": connection: refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := p.decide(tc.d, now, tc.o, func() float64 { return tc.jitter })
			if a.Status != tc.status || !a.At.Equal(now) || a.HTTPStatus != tc.o.status {
				t.Fatalf("got %+v, want status %s", a, tc.status)
			}
			if tc.status == callrec.DeliveryPending {
				if got := a.Next.Sub(now); got != tc.wait {
					t.Errorf("wait %s, want %s", got, tc.wait)
				}
			} else if !a.Next.IsZero() {
				t.Errorf("final attempt has a next time %s", a.Next)
			}
			if !strings.HasPrefix(a.Error, tc.errStart) || (tc.errStart == "" && a.Error != "") {
				t.Errorf("error %q, want prefix %q", a.Error, tc.errStart)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                                 0,
		"120":                              2 * time.Minute,
		" 5 ":                              5 * time.Second,
		"0":                                0,
		"-3":                               0,
		"soon":                             0,
		"99999999999999999999":             0, // overflows int64: malformed
		"9223372036854775807":              time.Duration(int64(1<<63-1)/int64(time.Second)) * time.Second,
		"Thu, 26 Nov 2026 12:00:30 GMT":    30 * time.Second,
		"Thursday, 26-Nov-26 12:01:00 GMT": time.Minute,
		"Thu, 26 Nov 2026 11:00:00 GMT":    0,
	} {
		if got := ParseRetryAfter(v, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "Thu, 26 Nov 2026 12:00:30 GMT", "-1", "1e9"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := ParseRetryAfter(v, now); d < 0 {
			t.Fatalf("negative wait %s for %q", d, v)
		}
	})
}

func TestResponseOutcome(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	resp := &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{"Retry-After": {"7"}}}
	o := responseOutcome(resp, "busy\n", now)
	if o.text != "HTTP 503 Service Unavailable: busy" || o.retryAfter != 7*time.Second {
		t.Errorf("503 outcome %+v", o)
	}
	resp = &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Header: http.Header{"Retry-After": {"7"}}}
	if o := responseOutcome(resp, "", now); o.retryAfter != 0 || o.text != "HTTP 500 Internal Server Error" {
		t.Errorf("Retry-After is honoured only on 429 and 503: %+v", o)
	}
	if s := snippet([]byte("line1\nline2\x00\xff")); s != "line1 line2 " {
		t.Errorf("snippet %q", s)
	}
}
