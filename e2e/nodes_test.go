package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callautomation"
	"github.com/callrec/callrec/container/wav"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/internal/pgtest"
	"github.com/callrec/callrec/simulate"
	"github.com/callrec/callrec/simulate/sipphone"
)

// nodeLease is the lease of the nodes these tests start: short, so that a
// lost node's calls are taken over within seconds.
const nodeLease = 6 * time.Second

// startNode starts `callrec serve` on the shared database dsn.
func startNode(t *testing.T, dsn string, capacity string, extra ...string) *server {
	t.Helper()
	args := append([]string{"--database", dsn, "--ice-loopback-only", "--node-lease", nodeLease.String(),
		"--node-capacity", capacity, "--webhook-poll-interval", "500ms"}, extra...)
	return startServer(t, serverOptions{args: args})
}

// recordThrough creates a call through node s and starts recording it
// (mixed WAV) with state callbacks to callback.
func recordThrough(ctx context.Context, t *testing.T, s *server, callback string) (*callautomation.Client, *callrec.Call, *callautomation.RecordingStateResult) {
	t.Helper()
	client, err := callautomation.NewCallAutomationClient(s.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	call, err := client.Calls().Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.CallRecording().Start(ctx, callautomation.StartRecordingOptions{
		CallLocator:               callautomation.ServerCallLocator{ID: call.ServerCallID},
		RecordingContent:          callautomation.RecordingContentAudio,
		RecordingChannel:          callautomation.RecordingChannelMixed,
		RecordingFormat:           callautomation.RecordingFormatWav,
		RecordingStateCallbackURI: callback,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, call, st
}

func nodeID(t *testing.T, s *server) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dataDir, "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func accessKeyOf(t *testing.T, s *server) string {
	t.Helper()
	cs, err := hmacauth.ParseConnectionString(s.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	return cs.AccessKey
}

// TestThreeNodesServeAsOne: three `callrec serve` processes on one
// PostgreSQL share the first one's access key. A client talks only to node
// A; placement puts the call on node B (the least loaded for its
// capacity); the participant joins through node C and is redirected to B.
// Start, pause, resume, stop, result, download (the file is on B, the
// request to A) and delete all work through A, and each state callback
// arrives once.
func TestThreeNodesServeAsOne(t *testing.T) {
	pg := pgtest.StartServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a := startNode(t, pg.DSN(), "10")
	b := startNode(t, pg.DSN(), "1000")
	c := startNode(t, pg.DSN(), "10")
	if ka, kb, kc := accessKeyOf(t, a), accessKeyOf(t, b), accessKeyOf(t, c); ka != kb || kb != kc {
		t.Fatalf("the nodes' access keys differ: %q %q %q", ka, kb, kc)
	}
	cb := startCallbackReceiver(t, nil)
	client, call, st := recordThrough(ctx, t, a, cb.URL+"/cb")
	details, err := client.Calls().Get(ctx, call.ServerCallID)
	if err != nil {
		t.Fatal(err)
	}
	if details.Node != nodeID(t, b) {
		t.Fatalf("call placed on node %q, want B (%s): its cost is least", details.Node, nodeID(t, b))
	}
	rec := client.CallRecording()

	joined := make(chan simulate.Result, 1)
	go func() {
		res, err := simulate.Join(ctx, simulate.Options{
			Endpoint:         "http://" + c.addr,
			ConnectionString: a.ConnectionString(),
			CallID:           call.ServerCallID,
			Participant:      "8:acs:agent",
			Source:           "tone:440",
			Duration:         8 * time.Second,
			SettingEngine:    simulate.LoopbackSettingEngine(),
		})
		if err != nil {
			t.Errorf("participant: %v", err)
		}
		joined <- res
	}()
	waitForParticipant(ctx, t, client, call.ServerCallID, "8:acs:agent", time.Minute)
	time.Sleep(2 * time.Second)
	if err := rec.Pause(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if s, err := rec.GetState(ctx, st.RecordingID); err != nil || s.RecordingState != "inactive" {
		t.Fatalf("state after pause through A: %+v %v", s, err)
	}
	time.Sleep(time.Second)
	if err := rec.Resume(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := rec.Stop(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	res := <-joined
	if u, err := url.Parse(res.Location); err != nil || u.Host != b.addr {
		t.Errorf("the WHIP session is at %q, want on node B (%s): the join through C is redirected there", res.Location, b.addr)
	}

	result, err := rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := result.RecordingStorageInfo.RecordingChunks
	if len(chunks) != 1 || !strings.HasPrefix(chunks[0].ContentLocation, "http://"+a.addr+"/") {
		t.Fatalf("chunks %+v, want one with its content URL on A", chunks)
	}
	var content bytes.Buffer
	if _, err := rec.DownloadTo(ctx, chunks[0].ContentLocation, &content); err != nil {
		t.Fatalf("download through A of a file held by B: %v", err)
	}
	w, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatalf("downloaded WAV: %v", err)
	}
	x := w.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 || len(x)-first < 16000 {
		t.Fatalf("the recording holds %d samples, tone from %d", len(x), first)
	}
	if f, ratio := audio.DetectTone(x[first:first+16000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("recorded %v Hz (ratio %.0f), want 440", f, ratio)
	}
	// A range read through A, mapped to a ranged read on B.
	part, err := rec.OpenContent(ctx, chunks[0].ContentLocation, &callautomation.HTTPRange{Offset: 100, Length: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(part)
	part.Close()
	if !bytes.Equal(got.Bytes(), content.Bytes()[100:1100]) {
		t.Errorf("range 100+1000 through A: %d bytes, not the file's", got.Len())
	}
	var meta bytes.Buffer
	sum := sha256.Sum256(content.Bytes())
	if _, err := rec.DownloadTo(ctx, chunks[0].MetadataLocation, &meta); err != nil || !bytes.Contains(meta.Bytes(), []byte(hex.EncodeToString(sum[:]))) {
		t.Fatalf("metadata through A, want the downloaded file's sha256: %v %s", err, meta.Bytes())
	}
	if err := rec.Delete(ctx, chunks[0].DeleteLocation); err != nil {
		t.Fatalf("delete through A: %v", err)
	}
	if _, err := rec.DownloadTo(ctx, chunks[0].ContentLocation, &bytes.Buffer{}); err == nil {
		t.Error("the deleted file still downloads")
	}

	events := cb.WaitForStates(t, st.RecordingID, time.Minute, "active", "inactive")
	deadline := time.Now().Add(time.Minute)
	for len(events) < 4 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		events = cb.StateEvents(t, st.RecordingID)
	}
	time.Sleep(2 * time.Second) // any duplicate would come now
	events = cb.StateEvents(t, st.RecordingID)
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev.ID]++
	}
	if len(events) != 4 || len(seen) != 4 {
		t.Errorf("%d state callbacks with %d ids, want the 4 state changes once each: %v", len(events), len(seen), seen)
	}
}

// TestLostNodeCallsEndElsewhere: node B, hosting a recorded call, is killed
// with SIGKILL and never comes back; after its lease node A takes the call
// over, ends it and stops its recording with reason nodeLost, and the
// recording's stop callback arrives once. A keeps serving throughout.
func TestLostNodeCallsEndElsewhere(t *testing.T) {
	pg := pgtest.StartServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a := startNode(t, pg.DSN(), "10")
	b := startNode(t, pg.DSN(), "1000")
	cb := startCallbackReceiver(t, nil)
	client, call, st := recordThrough(ctx, t, a, cb.URL+"/cb")
	rec := client.CallRecording()
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	go simulate.Join(streamCtx, simulate.Options{ // ends with an error when B dies
		Endpoint: "http://" + a.addr, ConnectionString: a.ConnectionString(), CallID: call.ServerCallID,
		Participant: "8:acs:agent", Source: "tone:440", Duration: time.Minute, SettingEngine: simulate.LoopbackSettingEngine(),
	})
	waitForParticipant(ctx, t, client, call.ServerCallID, "8:acs:agent", time.Minute)
	cb.WaitForStates(t, st.RecordingID, time.Minute, "active")
	time.Sleep(2 * time.Second)
	killed := time.Now()
	b.Kill(t)
	stopStream()

	deadline := time.Now().Add(nodeLease + 90*time.Second)
	for {
		d, err := client.Calls().Get(ctx, call.ServerCallID)
		if err != nil {
			t.Fatalf("node A while B is gone: %v", err)
		}
		if d.State == "ended" {
			if d.Node != nodeID(t, a) {
				t.Errorf("the ended call is on node %q, want A", d.Node)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lost node's call is still %s %s after the kill", d.State, time.Since(killed))
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The lease runs from the killed node's last heartbeat, which came up to
	// a heartbeat interval (a third of the lease) before the kill.
	took := time.Since(killed)
	if earliest := nodeLease - nodeLease/3; took < earliest {
		t.Errorf("the call ended %s after the kill, before the lease (%s from the last heartbeat) ran out", took, nodeLease)
	}
	result, err := rec.Result(ctx, st.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	if result.SessionEndReason != "nodeLost" {
		t.Errorf("session end reason %q, want nodeLost", result.SessionEndReason)
	}
	cb.WaitForStates(t, st.RecordingID, time.Minute, "inactive")
	time.Sleep(2 * time.Second)
	seen := map[string]int{}
	for _, ev := range cb.StateEvents(t, st.RecordingID) {
		seen[ev.ID]++
	}
	if len(seen) != 2 {
		t.Errorf("state callbacks %v, want active and the stop once each", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("callback %s arrived %d times", id, n)
		}
	}
	t.Logf("call of the killed node ended by A %s after the kill (lease %s)", took.Round(100*time.Millisecond), nodeLease)
}

// TestDatabaseOutageMidRecording: PostgreSQL stops for 30 s while a call on
// node A is recorded. The API answers 503 ServiceUnavailable meanwhile (a
// state read, a stop), the recording goes on, no node takes the call over
// when the database is back, a stop then works, the state callbacks and
// the file event arrive once each, and the file holds the tone across the
// outage without a gap.
func TestDatabaseOutageMidRecording(t *testing.T) {
	pg := pgtest.StartServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	a := startNode(t, pg.DSN(), "1000")
	b := startNode(t, pg.DSN(), "10")
	client, err := callautomation.NewCallAutomationClient(a.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	clientB, err := callautomation.NewCallAutomationClient(b.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	files := startCallbackReceiver(t, nil)
	subscribeFileEvents(t, a.ConnectionString(), files.URL+"/files")
	cb := startCallbackReceiver(t, nil)
	_, call, st := recordThrough(ctx, t, a, cb.URL+"/cb") // placed on A, the larger
	callID, recordingID := call.ServerCallID, st.RecordingID
	joined := make(chan simulate.Result, 1)
	go func() {
		res, err := simulate.Join(ctx, simulate.Options{
			Endpoint: "http://" + a.addr, ConnectionString: a.ConnectionString(), CallID: callID,
			Participant: "8:acs:agent", Source: "tone:440", Duration: 50 * time.Second, SettingEngine: simulate.LoopbackSettingEngine(),
		})
		if err != nil {
			t.Errorf("participant: %v", err)
		}
		joined <- res
	}()
	waitForParticipant(ctx, t, client, callID, "8:acs:agent", time.Minute)
	time.Sleep(3 * time.Second)
	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	haltedAt := time.Now()
	_, err = client.CallRecording().GetState(ctx, recordingID)
	var re *callautomation.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || re.Code != callrec.CodeServiceUnavailable {
		t.Errorf("state with the database down: %v, want 503 %s", err, callrec.CodeServiceUnavailable)
	}
	// A stop meanwhile is refused the same way, and the recording goes on.
	err = clientB.CallRecording().Stop(ctx, recordingID)
	if !errors.As(err, &re) || re.StatusCode != 503 || re.Code != callrec.CodeServiceUnavailable {
		t.Errorf("stop through B with the database down: %v, want 503 %s", err, callrec.CodeServiceUnavailable)
	}
	time.Sleep(30*time.Second - time.Since(haltedAt))
	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	// Past a lease and more with the database back: the call stays on A.
	time.Sleep(nodeLease + 3*time.Second)
	if s, err := clientB.CallRecording().GetState(ctx, recordingID); err != nil || s.RecordingState != "active" {
		t.Fatalf("after the outage, through B: %+v %v", s, err)
	}
	chunk := stopFirstChunk(ctx, t, clientB, recordingID) // carried out by A
	res := <-joined
	var content bytes.Buffer
	if _, err := clientB.CallRecording().DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	w, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	x := w.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 {
		t.Fatal("no audio")
	}
	// From the first second of tone to 1 s before the end of what was
	// sent before the stop, every 500 ms window holds the tone.
	end := min(len(x), first+int((res.Streamed()-time.Second).Seconds()*16000))
	if span := time.Duration(end-first) * time.Second / 16000; span < 35*time.Second {
		t.Fatalf("%s of tone recorded, want the outage (30 s) and more", span)
	}
	for i := first; i+8000 <= end; i += 8000 {
		if f, ratio := audio.DetectTone(x[i:i+8000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
			t.Fatalf("at %.1f s: %v Hz (ratio %.0f), want the tone throughout the outage", float64(i-first)/16000, f, ratio)
		}
	}
	// The state callbacks and the file event, each once.
	cb.WaitForStates(t, recordingID, time.Minute, "active", "inactive")
	ev := files.WaitForFileStatus(t, recordingID, time.Minute)
	if got := ev.Data.RecordingStorageInfo.RecordingChunks; len(got) != 1 || got[0].DocumentID != chunk.DocumentID {
		t.Errorf("file event lists %+v, want %s", got, chunk.DocumentID)
	}
	time.Sleep(3 * time.Second)
	states := map[string]int{}
	for _, e := range cb.StateEvents(t, recordingID) {
		states[e.ID]++
	}
	fileEvents := 0
	for _, d := range files.Deliveries() {
		fileEvents += strings.Count(string(d.Body), `"Microsoft.Communication.RecordingFileStatusUpdated"`)
	}
	if len(states) != 2 || fileEvents != 1 {
		t.Errorf("state callbacks by id %v, file events %d: want active and inactive once each, and one file event", states, fileEvents)
	}
	for id, n := range states {
		if n != 1 {
			t.Errorf("state callback %s arrived %d times", id, n)
		}
	}
	t.Logf("recorded %.1f s of tone across a 30 s database outage", float64(end-first)/16000)
}

// TestNodeKilledAndRestartedKeepsItsCalls: node B, hosting a recorded call,
// is killed with SIGKILL and started again on its data directory within
// its lease: it is the same node, takes up its recording (the killed
// process's chunk finalized, serviceRestarted), and the recording stopped
// through node A holds the tone spoken before the kill.
func TestNodeKilledAndRestartedKeepsItsCalls(t *testing.T) {
	pg := pgtest.StartServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const lease = "--node-lease=2m" // longer than a restart on a loaded machine
	a := startNode(t, pg.DSN(), "10", lease)
	b := startNode(t, pg.DSN(), "1000", lease)
	client, call, st := recordThrough(ctx, t, a, "")
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	go simulate.Join(streamCtx, simulate.Options{ // ends with an error when B dies
		Endpoint: "http://" + a.addr, ConnectionString: a.ConnectionString(), CallID: call.ServerCallID,
		Participant: "8:acs:agent", Source: "tone:440", Duration: time.Minute, SettingEngine: simulate.LoopbackSettingEngine(),
	})
	waitForParticipant(ctx, t, client, call.ServerCallID, "8:acs:agent", time.Minute)
	time.Sleep(3 * time.Second)
	idB := nodeID(t, b)
	b.Kill(t)
	stopStream()
	b = startServer(t, serverOptions{dataDir: b.dataDir, addr: b.addr, args: []string{"--database", pg.DSN(),
		"--ice-loopback-only", "--node-capacity", "1000", lease}})
	if nodeID(t, b) != idB {
		t.Fatalf("restarted B is node %s, was %s", nodeID(t, b), idB)
	}
	if s, err := client.CallRecording().GetState(ctx, st.RecordingID); err != nil || s.RecordingState != "active" {
		t.Fatalf("the recording after B's restart, through A: %+v %v", s, err)
	}
	chunk := stopFirstChunk(ctx, t, client, st.RecordingID)
	if chunk.EndReason != "serviceRestarted" {
		t.Errorf("first chunk %+v, want end reason serviceRestarted", chunk)
	}
	var content bytes.Buffer
	if _, err := client.CallRecording().DownloadTo(ctx, chunk.ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	w, err := wav.Read(bytes.NewReader(content.Bytes()))
	if err != nil {
		t.Fatalf("the killed node's chunk: %v", err)
	}
	x := w.Channels[0]
	first := audio.FirstAbove(x, 0.05)
	if first < 0 || len(x)-first < 2*16000 {
		t.Fatalf("the killed node's chunk holds %d samples, tone from %d; want 2 s of tone and more", len(x), first)
	}
	if f, ratio := audio.DetectTone(x[first:first+2*16000], 16000, audio.CommonTones); f != 440 || ratio < 100 {
		t.Errorf("recorded %v Hz (ratio %.0f), want 440", f, ratio)
	}
}

// sipNode starts `callrec serve` on the shared database dsn with a SIP
// endpoint, and returns it with its SIP address.
func sipNode(t *testing.T, dsn string, extra ...string) (*server, string) {
	t.Helper()
	addr := freeSIPAddr(t).String()
	return startNode(t, dsn, "100", append([]string{"--sip-addr=" + addr, "--webhook-poll-interval", "100ms"}, extra...)...), addr
}

// waitEvent returns the data of the first event of type typ that arrived
// at r under path (an Event Grid array or a CloudEvents array), waiting
// up to a minute.
func waitEvent(t *testing.T, r *callbackReceiver, path, typ string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for _, d := range r.Deliveries() {
			var events []map[string]any
			if d.Path != path || json.Unmarshal(d.Body, &events) != nil {
				continue
			}
			for _, ev := range events {
				if ev["eventType"] == typ || ev["type"] == typ {
					return ev["data"].(map[string]any)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s at %s; deliveries: %s", typ, path, summarize(r.Deliveries()))
		}
		select {
		case <-r.arrived:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestIncomingCallAnsweredThroughAnotherNode: a phone's INVITE reaches
// node B and rings there; the application, which talks to node A only,
// gets IncomingCall, answers through A (A has B carry the answer out),
// gets CallConnected, and records the call through A: the call is B's,
// the recording, stopped when the phone hung up, holds its tone. A second phone ringing on B is
// rejected through A and hears 486; the same context answered again
// through A is 404 IncomingCallNotFound.
func TestIncomingCallAnsweredThroughAnotherNode(t *testing.T) {
	ctx := t.Context()
	pg := pgtest.StartServer(t)
	a, _ := sipNode(t, pg.DSN())
	b, bSIP := sipNode(t, pg.DSN())
	ca, err := callautomation.NewCallAutomationClient(a.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := startCallbackReceiver(t, nil)
	subscribeIncoming(t, ca, sink.URL+"/eventgrid")
	joined := make(chan error, 1)
	go func() {
		_, err := sipphone.Join(ctx, sipphone.Options{DialOptions: sipphone.DialOptions{Server: bSIP,
			CallID: "+18005550100", Participant: "4:+14255550123"}, Source: "tone:440", Duration: 6 * time.Second})
		joined <- err
	}()
	incoming := waitEvent(t, sink, "/eventgrid", "Microsoft.Communication.IncomingCall")
	icc := incoming["incomingCallContext"].(string)
	props, err := ca.AnswerCall(ctx, icc, sink.URL+"/callback", &callautomation.AnswerCallOptions{OperationContext: "through-a"})
	if err != nil {
		t.Fatalf("answering through A a call ringing on B: %v", err)
	}
	if props.ServerCallID != incoming["serverCallId"] || props.AnsweredFor != "+18005550100" {
		t.Fatalf("answer %+v", props)
	}
	connected := waitEvent(t, sink, "/callback", "Microsoft.Communication.CallConnected")
	if connected["serverCallId"] != props.ServerCallID || connected["callConnectionId"] != props.CallConnectionID ||
		connected["operationContext"] != "through-a" {
		t.Fatalf("CallConnected %v", connected)
	}
	if _, err := ca.AnswerCall(ctx, icc, sink.URL+"/callback", nil); !hasCode(err, "IncomingCallNotFound") {
		t.Errorf("a second answer through A: %v, want 404 IncomingCallNotFound", err)
	}
	call, err := ca.Calls().Get(ctx, props.ServerCallID)
	if err != nil || call.Node != nodeID(t, b) {
		t.Fatalf("the answered call: %+v %v, want it on B", call, err)
	}
	rec := ca.CallRecording()
	st, err := rec.Start(ctx, callautomation.StartRecordingOptions{CallLocator: callautomation.ServerCallLocator{ID: props.ServerCallID},
		RecordingContent: "audio", RecordingChannel: "unmixed", RecordingFormat: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-joined:
		if err != nil {
			t.Fatalf("the phone: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the phone is still in the call")
	}
	// The phone hung up a call of two (the application's leg and the
	// phone): the call ended, and its recording stopped with it.

	// A second call, rejected through A: the phone hears 486.
	rejected := make(chan error, 1)
	go func() {
		_, err := sipphone.Dial(ctx, sipphone.DialOptions{Server: bSIP, CallID: "+18005550101", Participant: "4:+14255550124"})
		rejected <- err
	}()
	var icc2 string
	deadline := time.Now().Add(time.Minute)
	for icc2 == "" {
		for _, d := range sink.Deliveries() {
			var events []map[string]any
			if d.Path == "/eventgrid" && json.Unmarshal(d.Body, &events) == nil {
				for _, ev := range events {
					if data, _ := ev["data"].(map[string]any); data != nil && data["incomingCallContext"] != icc {
						icc2, _ = data["incomingCallContext"].(string)
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no second IncomingCall")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := ca.RejectCall(ctx, icc2, "busy"); err != nil {
		t.Fatalf("rejecting through A a call ringing on B: %v", err)
	}
	var re *sipphone.RejectedError
	if err := <-rejected; !errors.As(err, &re) || re.Status != 486 {
		t.Errorf("the rejected phone: %v, want 486", err)
	}

	result := waitResult(t, ca, st.RecordingID)
	var content bytes.Buffer
	if _, err := rec.DownloadTo(ctx, result.RecordingStorageInfo.RecordingChunks[0].ContentLocation, &content); err != nil {
		t.Fatal(err)
	}
	checkHoldsTone(t, content.Bytes(), 440)
}

// subscribeIncoming subscribes url to IncomingCall (Event Grid schema).
func subscribeIncoming(t *testing.T, c *callautomation.Client, url string) {
	t.Helper()
	sub, err := c.Events().Subscribe(t.Context(), callrec.Subscription{Name: "incoming", URL: url,
		Schema: callrec.SchemaEventGrid, Types: []string{"Microsoft.Communication.IncomingCall"}})
	if err != nil || sub.State != callrec.SubscriptionValidated {
		t.Fatalf("subscribing to IncomingCall: %+v %v", sub, err)
	}
}

// hasCode reports whether err is an API error with code.
func hasCode(err error, code string) bool {
	var re *callautomation.ResponseError
	return errors.As(err, &re) && re.Code == code
}

// waitResult waits until a stopped recording has its chunks.
func waitResult(t *testing.T, c *callautomation.Client, id string) *callautomation.RecordingResult {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := c.CallRecording().Result(t.Context(), id)
		if err == nil && len(r.RecordingStorageInfo.RecordingChunks) > 0 {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording %s has no result: %+v %v", id, r, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
