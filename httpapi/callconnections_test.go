package httpapi_test

import (
	"testing"

	"github.com/callrec/callrec/internal/testserver"
)

// TestCallConnectionRoutesWireErrors: the call-connection routes' answers
// to what callrec cannot do (501 NotImplemented), to unknown connections
// (404), to bad bodies (400) and to wrong methods (405), each with a code.
func TestCallConnectionRoutesWireErrors(t *testing.T) {
	c := newClient(t, testserver.Start(t))
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"connect", "POST", "/calling/callConnections:connect?api-version=2026-03-12", `{}`, 501, "NotImplemented"},
		{"transfer", "POST", "/calling/callConnections/abc:transferToParticipant?api-version=2026-03-12", `{}`, 501, "NotImplemented"},
		{"play", "POST", "/calling/callConnections/abc:play?api-version=2026-03-12", `{}`, 501, "NotImplemented"},
		{"cancel add", "POST", "/calling/callConnections/abc/participants:cancelAddParticipant?api-version=2026-03-12", `{"invitationId":"x"}`, 501, "NotImplemented"},
		{"group call", "POST", "/calling/callConnections?api-version=2026-03-12",
			`{"targets":[{"rawId":"4:+14255550123"},{"rawId":"4:+14255550124"}],"callbackUri":"https://app.example/cb"}`, 501, "NotImplemented"},
		{"create to a number, no caller id", "POST", "/calling/callConnections?api-version=2026-03-12",
			`{"targets":[{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123"}}],"callbackUri":"https://app.example/cb"}`, 400, "SourceCallerIdNumberRequired"},
		{"create, no dialer", "POST", "/calling/callConnections?api-version=2026-03-12",
			`{"targets":[{"rawId":"sip:bob@127.0.0.1"}],"callbackUri":"https://app.example/cb"}`, 501, "OutboundCallsNotConfigured"},
		{"create, no callback", "POST", "/calling/callConnections?api-version=2026-03-12", `{"targets":[{"rawId":"sip:bob@127.0.0.1"}]}`, 400, "InvalidCallbackUri"},
		{"answer, empty body", "POST", "/calling/callConnections:answer?api-version=2026-03-12", ``, 400, "InvalidJson"},
		{"answer, no context", "POST", "/calling/callConnections:answer?api-version=2026-03-12", `{"callbackUri":"https://app.example/cb"}`, 400, "InvalidIncomingCallContext"},
		{"answer, gone", "POST", "/calling/callConnections:answer?api-version=2026-03-12", `{"incomingCallContext":"callrec.gone","callbackUri":"https://app.example/cb"}`, 404, "IncomingCallNotFound"},
		{"answer, rang before a restart", "POST", "/calling/callConnections:answer?api-version=2026-03-12", `{"incomingCallContext":"callrec..lastrun.c2VjcmV0","callbackUri":"https://app.example/cb"}`, 404, "IncomingCallExpired"},
		{"reject, rang before a restart", "POST", "/calling/callConnections:reject?api-version=2026-03-12", `{"incomingCallContext":"callrec..lastrun.c2VjcmV0"}`, 404, "IncomingCallExpired"},
		{"redirect, no target", "POST", "/calling/callConnections:redirect?api-version=2026-03-12", `{"incomingCallContext":"callrec.gone"}`, 400, "InvalidRequest"},
		{"unknown connection", "GET", "/calling/callConnections/08002180-ce6f-48e0-943e-21aacde3c915?api-version=2026-03-12", ``, 404, "CallConnectionNotFound"},
		{"unknown connection's participant", "GET", "/calling/callConnections/abc/participants/4%3A%2B14255550123?api-version=2026-03-12", ``, 404, "CallConnectionNotFound"},
		{"terminate by GET", "GET", "/calling/callConnections/abc:terminate?api-version=2026-03-12", ``, 405, "MethodNotAllowed"},
		{"list by POST", "POST", "/calling/callConnections/abc/participants?api-version=2026-03-12", `{}`, 405, "MethodNotAllowed"},
		{"unknown action", "POST", "/calling/callConnections/abc:dance?api-version=2026-03-12", `{}`, 404, "RouteNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := c.do(tc.method, tc.path, body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
		})
	}
}
