package callautomation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ResponseError is a failure the server reported: an unexpected HTTP status
// with the error code and message from its body. Use errors.As to get it.
type ResponseError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the server's machine-readable error code, such as
	// "RecordingNotFound"; empty when the body carried none.
	Code string
	// Message says what went wrong, for people.
	Message string
	// Target is the request field at fault, when the server named one.
	Target string
}

// Error formats the error as "<code>: <message> (HTTP <status>)".
func (e *ResponseError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
	}
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.StatusCode)
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// errorBody is every error shape the SDK understands: ACS's
// {"error":{"code","message"}}, the flat {"code","message"} fallback that
// the official SDKs also read, and the content routes' top-level
// {"status","message"}.
type errorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target"`
	} `json:"error"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Status  json.RawMessage `json:"status"`
}

// newResponseError builds the error for status and body.
func newResponseError(status int, body []byte) *ResponseError {
	e := &ResponseError{StatusCode: status}
	var b errorBody
	trimmed := strings.TrimSpace(string(body))
	if err := json.Unmarshal(body, &b); err == nil && strings.HasPrefix(trimmed, "{") {
		if b.Error != nil {
			e.Code, e.Message, e.Target = b.Error.Code, b.Error.Message, b.Error.Target
		}
		if e.Code == "" {
			e.Code = jsonScalar(b.Code)
		}
		if e.Message == "" {
			e.Message = b.Message
		}
	} else if trimmed != "" {
		e.Message = truncate(trimmed, 512)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
		if e.Message == "" {
			e.Message = "unexpected response"
		}
	}
	return e
}

// jsonScalar renders a JSON string or number as text ("8522" or 8522).
func jsonScalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
