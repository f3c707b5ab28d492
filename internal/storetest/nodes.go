package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec"
)

// testSharedSetting: the first value stored under a name wins, across
// handles (the nodes' shared access key).
func testSharedSetting(t *testing.T, open Opener) {
	ctx := t.Context()
	a, b := open(t), open(t)
	v, err := a.SharedSetting(ctx, "access-key", "first")
	if err != nil || v != "first" {
		t.Fatalf("first store: %q %v", v, err)
	}
	v, err = b.SharedSetting(ctx, "access-key", "second")
	if err != nil || v != "first" {
		t.Fatalf("second store through another handle: %q %v, want the first value", v, err)
	}
}

// testNodeRegistry: nodes register and refresh their row, list with their
// active calls, and the calls of a node whose heartbeat is stale move to
// one node only, however many try at once; a live node's calls stay.
func testNodeRegistry(t *testing.T, open Opener) {
	ctx := t.Context()
	db := open(t)
	beat := t0.Add(time.Minute)
	for _, n := range []callrec.Node{
		{ID: "a", URL: "http://a", Capacity: 10, StartedAt: t0, HeartbeatAt: t0},
		{ID: "b", URL: "http://b", MediaAddrs: []string{"10.0.0.2"}, Capacity: 20, Load: 3, StartedAt: t0, HeartbeatAt: beat},
		{ID: "c", URL: "http://c", Capacity: 20, StartedAt: t0, HeartbeatAt: beat},
	} {
		if err := db.Heartbeat(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	// a refreshes its row: draining now.
	if err := db.Heartbeat(ctx, &callrec.Node{ID: "a", URL: "http://a2", Capacity: 10, Load: 1, Draining: true, StartedAt: t0, HeartbeatAt: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for i, node := range []string{"a", "a", "b", ""} {
		c := &callrec.Call{ServerCallID: string(rune('p' + i)), State: callrec.CallActive, CreatedAt: t0, Node: node}
		if err := db.CreateCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateCall(ctx, &callrec.Call{ServerCallID: "ended", State: callrec.CallActive, CreatedAt: t0, Node: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := db.EndCall(ctx, "ended", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if c, err := db.Call(ctx, "p"); err != nil || c.Node != "a" {
		t.Fatalf("call's node: %+v %v", c, err)
	}
	nodes, err := db.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 3 {
		t.Fatalf("nodes %+v", nodes)
	}
	a, b := nodes[0], nodes[1]
	if a.ID != "a" || a.URL != "http://a2" || !a.Draining || a.Load != 1 || a.Calls != 2 || !a.HeartbeatAt.Equal(t0.Add(time.Second)) {
		t.Errorf("node a: %+v", a)
	}
	if b.ID != "b" || !slices.Equal(b.MediaAddrs, []string{"10.0.0.2"}) || b.Capacity != 20 || b.Load != 3 || b.Calls != 1 ||
		!b.StartedAt.Equal(t0) || !b.HeartbeatAt.Equal(beat) {
		t.Errorf("node b: %+v", b)
	}

	// b's heartbeat is not stale: nothing moves.
	if ids, err := db.TakeOverCalls(ctx, "b", "c", beat); err != nil || len(ids) != 0 {
		t.Fatalf("taking over a live node: %v %v", ids, err)
	}
	// a's is: its two active calls move to one of the nodes trying at once.
	var mu sync.Mutex
	moved := map[string][]string{}
	var wg sync.WaitGroup
	for _, to := range []string{"b", "c"} {
		h := open(t)
		wg.Go(func() {
			ids, err := h.TakeOverCalls(ctx, "a", to, beat)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			moved[to] = ids
			mu.Unlock()
		})
	}
	wg.Wait()
	got := append(append([]string{}, moved["b"]...), moved["c"]...)
	slices.Sort(got)
	if !slices.Equal(got, []string{"p", "q"}) || (len(moved["b"]) != 0 && len(moved["c"]) != 0) {
		t.Fatalf("calls taken over: %v, want p and q by one node", moved)
	}
	to := "b"
	if len(moved["c"]) != 0 {
		to = "c"
	}
	if c, err := db.Call(ctx, "q"); err != nil || c.Node != to {
		t.Fatalf("moved call: %+v %v", c, err)
	}
	if c, err := db.Call(ctx, "ended"); err != nil || c.Node != "a" {
		t.Fatalf("an ended call stays where it ended: %+v %v", c, err)
	}
	if ids, err := db.TakeOverCalls(ctx, "nobody", "b", beat); err != nil || len(ids) != 0 {
		t.Fatalf("an unknown node: %v %v", ids, err)
	}
	if err := db.RemoveNode(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if nodes, err := db.Nodes(ctx); err != nil || len(nodes) != 2 {
		t.Fatalf("after removing a: %+v %v", nodes, err)
	}
}
