package callrec

import (
	"errors"
	"fmt"
)

// ErrorKind classifies an error; the HTTP edge maps each kind to one status.
type ErrorKind string

// Error kinds. Each maps to exactly one HTTP status in httpapi.
const (
	KindInvalid             ErrorKind = "invalid"               // 400
	KindUnauthorized        ErrorKind = "unauthorized"          // 401
	KindForbidden           ErrorKind = "forbidden"             // 403
	KindNotFound            ErrorKind = "not_found"             // 404
	KindMethodNotAllowed    ErrorKind = "method_not_allowed"    // 405
	KindConflict            ErrorKind = "conflict"              // 409
	KindTooLarge            ErrorKind = "too_large"             // 413
	KindUnsupported         ErrorKind = "unsupported"           // 415
	KindTimeout             ErrorKind = "timeout"               // 408
	KindRangeNotSatisfiable ErrorKind = "range_not_satisfiable" // 416
	KindUnavailable         ErrorKind = "unavailable"           // 503
	KindStorageFull         ErrorKind = "storage_full"          // 507
	KindNotImplemented      ErrorKind = "not_implemented"       // 501
	KindInternal            ErrorKind = "internal"              // 500
)

// Error is callrec's coded error. Code is a stable, machine-readable string
// (for example "RecordingNotFound"); Message is for people and names the
// offending field where there is one.
type Error struct {
	Kind    ErrorKind
	Code    string
	Message string
	Target  string // the request field at fault, if any
	Err     error  // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a coded error.
func Errorf(kind ErrorKind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf builds a KindInvalid error about one request field.
func FieldErrorf(field, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Target: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. The cause is kept for logs only.
func Internal(err error, msg string) *Error {
	return &Error{Kind: KindInternal, Code: "InternalError", Message: msg, Err: err}
}

// StorageFull wraps a write that failed for want of space (ENOSPC, EDQUOT,
// SQLITE_FULL): 507 Insufficient Storage with CodeStorageFull. The cause is
// kept for logs only.
func StorageFull(err error, msg string) *Error {
	return &Error{Kind: KindStorageFull, Code: CodeStorageFull, Message: msg, Err: err}
}

// Unavailable wraps a failure of a dependency that may pass (storage that
// cannot be reached, a database that is busy or read-only): 503 with
// CodeServiceUnavailable. The cause is kept for logs only.
func Unavailable(err error, msg string) *Error {
	return &Error{Kind: KindUnavailable, Code: CodeServiceUnavailable, Message: msg, Err: err}
}

// AsError returns the *Error in err's chain, or an internal error wrapping err.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err, "internal server error")
}

// KindOf returns the kind of err, KindInternal for errors that carry none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// CodeOf returns the code of err, "InternalError" for errors that carry none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "InternalError"
}

// Error codes shared across packages.
const (
	CodeCallNotFound           = "CallNotFound"
	CodeCallEnded              = "CallEnded"
	CodeCallExists             = "CallAlreadyExists"
	CodeRecordingNotFound      = "RecordingNotFound"
	CodeRecordingStopped       = "RecordingStopped"
	CodeInvalidRequest         = "InvalidRequest"
	CodeInvalidJSON            = "InvalidJson"
	CodeInvalidID              = "InvalidId"
	CodeBodyTooLarge           = "RequestBodyTooLarge"
	CodeUnsupportedMedia       = "UnsupportedMediaType"
	CodeMethodNotAllowed       = "MethodNotAllowed"
	CodeRouteNotFound          = "RouteNotFound"
	CodeContentNotFound        = "ContentNotFound"
	CodeMissingAuth            = "MissingAuthentication"
	CodeInvalidAuth            = "InvalidAuthentication"
	CodeInvalidSignature       = "InvalidSignature"
	CodeStaleDate              = "RequestDateOutOfRange"
	CodeContentHashInvalid     = "ContentHashMismatch"
	CodeCallConnectionNotFound = "CallConnectionNotFound"
	CodeSubscriptionNotFound   = "SubscriptionNotFound" // every store: no event subscription by that name
	CodeDeadLetterNotFound     = "DeadLetterNotFound"   // every store: no dead delivery with that id
	CodeStorageFull            = "InsufficientStorage"  // KindStorageFull: the disk or database is full
	CodeServerBusy             = "ServerBusy"           // KindUnavailable: too many requests being verified; Retry-After says when to retry
	CodeRequestTimeout         = "RequestTimeout"       // KindTimeout: the request body did not arrive in time
	CodeServiceUnavailable     = "ServiceUnavailable"   // KindUnavailable: storage or another dependency is unavailable
	CodeNotImplemented         = "NotImplemented"       // KindNotImplemented: an ACS operation callrec does not perform
)
