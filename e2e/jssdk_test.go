package e2e

import (
	"strings"
	"testing"
	"time"
)

// scenarioReport is what e2e/jssdk/scenario.mjs prints when every
// expectation inside it held.
type scenarioReport struct {
	SDKVersion   string   `json:"sdkVersion"`
	ServerCallID string   `json:"serverCallId"`
	RecordingIDs []string `json:"recordingIds"`
	Steps        []struct {
		Name string `json:"name"`
	} `json:"steps"`
	Errors []struct {
		Name    string `json:"name"`
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// parsedEvent is what e2e/jssdk/parse-event.mjs prints: the official SDK's
// parseCallAutomationEvent applied to a callback body callrec sent.
type parsedEvent struct {
	Kind          string `json:"kind"`
	RecordingID   string `json:"recordingId"`
	State         string `json:"state"`
	StartDateTime string `json:"startDateTime"`
	ServerCallID  string `json:"serverCallId"`
}

// TestOfficialJSSDK runs the official @azure/communication-call-automation
// SDK, 1.5.1 and 1.6.0, unmodified, against `callrec serve` over http and
// over https (self-signed CA trusted through NODE_EXTRA_CA_CERTS): start with
// every option, get state, pause, resume, stop, errors surfaced with the
// server's code and message; then checks the state callbacks callrec POSTed
// and that the SDK's own event parser accepts them, and downloads and
// deletes the recording's files with the SDK where it allows that. Each
// server must then drain and exit 0 on SIGTERM.
func TestOfficialJSSDK(t *testing.T) {
	jssdk := requireJSSDK(t)
	for _, transport := range []string{"http", "https"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverOptions{tls: transport == "https"})
			if got := srv.Endpoint(t).Scheme; got != transport {
				t.Fatalf("connection string %q: scheme %q, want %q", srv.ConnectionString(), got, transport)
			}
			caFile := ""
			if transport == "https" {
				caFile = srv.CAFile(t)
			}
			client := newACSClient(t, srv.ConnectionString(), caFile)
			receiver := startCallbackReceiver(t, nil)

			h := sdkHarness{jssdk: jssdk, transport: transport, srv: srv, caFile: caFile, client: client, receiver: receiver}
			for _, version := range sdkVersions {
				t.Run("sdk-"+version, func(t *testing.T) { h.run(t, version) })
			}
			srv.Terminate(t)
		})
	}
}

// sdkHarness is one callrec server and what the SDK runs against it need.
type sdkHarness struct {
	jssdk     string // e2e/jssdk
	transport string // http or https
	srv       *server
	caFile    string // the server's CA (https only)
	client    *acsClient
	receiver  *callbackReceiver
}

// env is the environment of the node scripts: the connection string, and
// the server's CA for https.
func (h sdkHarness) env(extra ...string) []string {
	env := []string{"CALLREC_CONNECTION_STRING=" + h.srv.ConnectionString()}
	if h.caFile != "" {
		env = append(env, "NODE_EXTRA_CA_CERTS="+h.caFile)
	}
	return append(env, extra...)
}

// run drives one SDK version: the scenario, its callbacks, the event
// parser, then content download and delete.
func (h sdkHarness) run(t *testing.T, version string) {
	callID := h.client.CreateCall(t)
	callbackURL := h.receiver.URL + "/recording-events?sdk=" + version
	var report scenarioReport
	nodeRun{dir: h.jssdk, script: "scenario.mjs", args: []string{version, callID}, env: h.env("CALLBACK_URL=" + callbackURL)}.runJSON(t, &report)
	checkScenarioReport(t, report, version, callID)

	unmixed, mixed := report.RecordingIDs[0], report.RecordingIDs[1]
	for _, ev := range h.receiver.WaitForStates(t, unmixed, time.Minute, "active", "inactive") {
		checkStateEvent(t, ev, callID)
	}
	for _, ev := range h.receiver.WaitForStates(t, mixed, time.Minute, "active") {
		checkStateEvent(t, ev, callID)
	}

	for _, state := range []string{"active", "inactive"} {
		body := h.receiver.RawDeliveryWith(unmixed, state)
		var parsed parsedEvent
		nodeRun{dir: h.jssdk, script: "parse-event.mjs", args: []string{version}, stdin: body}.runJSON(t, &parsed)
		if parsed.Kind != "RecordingStateChanged" || parsed.RecordingID != unmixed || parsed.State != state {
			t.Errorf("SDK %s parseCallAutomationEvent(%s) = %+v, want RecordingStateChanged %s %s",
				version, body, parsed, unmixed, state)
		}
		if parsed.ServerCallID != callID || parsed.StartDateTime == "" {
			t.Errorf("SDK %s parsed event %+v: want serverCallId %s and a startDateTime", version, parsed, callID)
		}
	}

	checkContentWithSDK(t, nodeRun{dir: h.jssdk, env: h.env()}, h.client, version, h.transport, unmixed)
}

// checkScenarioReport checks the report beyond the assertions the script
// made itself: both recordings, every step, and every error case with a
// code and message from the server.
func checkScenarioReport(t *testing.T, r scenarioReport, version, callID string) {
	t.Helper()
	if r.SDKVersion != version || r.ServerCallID != callID {
		t.Fatalf("report is for SDK %s call %s, want %s %s", r.SDKVersion, r.ServerCallID, version, callID)
	}
	if len(r.RecordingIDs) != 2 || r.RecordingIDs[0] == "" || r.RecordingIDs[1] == "" {
		t.Fatalf("report recordingIds %q, want two", r.RecordingIDs)
	}
	if len(r.Steps) < 7 {
		t.Errorf("report has %d steps, want at least 7: %+v", len(r.Steps), r.Steps)
	}
	wantErrors := map[string]int{
		"getState after stop":      404,
		"pause after stop":         404,
		"start with channel 5":     400,
		"start unmixed mp3":        400,
		"start on an unknown call": 404,
		"wrong access key":         401,
	}
	for _, e := range r.Errors {
		want, ok := wantErrors[e.Name]
		if !ok {
			continue
		}
		delete(wantErrors, e.Name)
		if e.Status != want || e.Code == "" || strings.TrimSpace(e.Message) == "" {
			t.Errorf("error case %q: got %d %q %q, want status %d with a code and a message", e.Name, e.Status, e.Code, e.Message, want)
		}
		t.Logf("SDK %s, %s: HTTP %d code=%s message=%q", version, e.Name, e.Status, e.Code, e.Message)
	}
	for name := range wantErrors {
		t.Errorf("error case %q missing from the report", name)
	}
}
