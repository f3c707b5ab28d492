package cluster_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/app"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/internal/testserver"
	"github.com/callrec/callrec/simulate/sipphone"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// node starts an in-process node with capacity on the database dsn.
func node(t *testing.T, dsn string, capacity int) *testserver.Server {
	return testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
		c.Database, c.NodeCapacity, c.SIPAddr = dsn, capacity, ""
	}))
}

func client(t *testing.T, s *testserver.Server) *callautomation.Client {
	t.Helper()
	c, err := callautomation.NewCallAutomationClient(s.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPlacementByCostUntilFull: calls created through node A go to the node
// of least (load + calls + 1) / capacity, A on a tie, until every node is
// full: then 503 NoCapacity with Retry-After. Ending a call through a node
// that does not host it ends it on its node.
func TestPlacementByCostUntilFull(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, b := node(t, dsn, 2), node(t, dsn, 4)
	ca := client(t, a)
	idA, idB := a.App.Member.ID(), b.App.Member.ID()
	var placed []string
	var calls []string
	for range 6 {
		call, err := ca.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ca.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatal(err)
		}
		name := map[string]string{idA: "A", idB: "B"}[got.Node]
		placed = append(placed, name)
		calls = append(calls, call.ServerCallID)
	}
	// costs before each call, A (capacity 2) / B (capacity 4):
	// 1/2 1/4 → B; 1/2 2/4 → A (tie); 2/2 2/4 → B; 2/2 3/4 → B; 2/2 4/4 → A (tie); full / 4/4 → B.
	if want := "B A B B A B"; strings.Join(placed, " ") != want {
		t.Errorf("placement %v, want %s", placed, want)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+"/calls", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hmacauth.DecodeKey(a.App.AccessKey)
	host := strings.TrimPrefix(a.URL, "http://")
	hmacauth.Sign(req, key, host, "/calls", []byte("{}"), time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a call with every node full: %s, Retry-After %q; want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	_, err = ca.Calls().Create(ctx, "")
	var re *callautomation.ResponseError
	if !errors.As(err, &re) || re.Code != "NoCapacity" {
		t.Errorf("a call with every node full: %v, want NoCapacity", err)
	}

	for i, id := range calls {
		if err := ca.Calls().End(ctx, id); err != nil {
			t.Fatalf("ending call %d (on %s) through A: %v", i, placed[i], err)
		}
		if got, err := client(t, b).Calls().Get(ctx, id); err != nil || got.State != "ended" {
			t.Fatalf("call %d after its end through A: %+v %v", i, got, err)
		}
	}
}

// TestDrainingNodeGetsNoCalls: once node B drains, the calls created through
// it are placed on A.
func TestDrainingNodeGetsNoCalls(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	a, b := node(t, dsn, 10), node(t, dsn, 10)
	b.App.Member.Drain(ctx)
	cb := client(t, b)
	for range 3 {
		call, err := cb.Calls().Create(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := cb.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Node != a.App.Member.ID() {
			t.Fatalf("a call created through draining B is on %q, want A", got.Node)
		}
	}
}

// TestSIPInviteRedirectedToTheCallsNode: an INVITE to node A for a call on
// node B is answered 302 with B's SIP address as Contact; the phone that
// calls there joins the call.
func TestSIPInviteRedirectedToTheCallsNode(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	withSIP := func(capacity int) *testserver.Server {
		return testserver.Start(t, testserver.WithConfig(func(c *app.Config) {
			c.Database, c.NodeCapacity, c.SIPAddr, c.SIPRTPPorts = dsn, capacity, "127.0.0.1:0", ""
		}))
	}
	a, b := withSIP(1), withSIP(100)
	ca := client(t, a)
	call, err := ca.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sipphone.Dial(ctx, sipphone.DialOptions{Server: a.App.SIP.Addr().String(), CallID: call.ServerCallID, Participant: "4:+14255550123"})
	var rej *sipphone.RejectedError
	if !errors.As(err, &rej) || rej.Status != 302 || !strings.Contains(rej.Contact, "@"+b.App.SIP.Addr().String()+">") {
		t.Fatalf("INVITE to A for a call on B: %v (Contact %q), want 302 to %s", err, contactOf(rej), b.App.SIP.Addr())
	}
	phone, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: b.App.SIP.Addr().String(), CallID: call.ServerCallID, Participant: "4:+14255550123"})
	if err != nil {
		t.Fatalf("INVITE to B: %v", err)
	}
	defer phone.Close()
	got, err := ca.Calls().Get(ctx, call.ServerCallID)
	if err != nil || len(got.Participants) != 1 || got.Participants[0].RawID != "4:+14255550123" {
		t.Fatalf("the call after the phone joined through B: %+v %v", got, err)
	}
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

func contactOf(e *sipphone.RejectedError) string {
	if e == nil {
		return ""
	}
	return e.Contact
}
