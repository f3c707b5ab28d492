// Package hmacauth signs and verifies requests with ACS's HMAC-SHA256 scheme,
// and parses ACS connection strings. The SDK (callautomation) signs with it
// and the server (httpapi) verifies with it, so both agree by construction;
// the known-answer vectors produced by the official JS SDK pin the format.
//
//	StringToSign = METHOD "\n" pathAndQuery "\n" x-ms-date ";" host ";" contentHash
//	Signature    = base64(HMAC-SHA256(base64decode(accessKey), StringToSign))
package hmacauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Header names used by the scheme.
const (
	HeaderDate          = "x-ms-date"
	HeaderContentSHA256 = "x-ms-content-sha256"
	HeaderHost          = "x-ms-host"
	HeaderAuthorization = "Authorization"

	// SignedHeaders is the only SignedHeaders list the SDKs send.
	SignedHeaders = "x-ms-date;host;x-ms-content-sha256"
	scheme        = "HMAC-SHA256"
)

// EmptyContentHash is ContentHash(nil).
const EmptyContentHash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

// ContentHash is base64(SHA-256(body)).
func ContentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// StringToSign builds the string the signature covers.
func StringToSign(method, pathAndQuery, date, host, contentHash string) string {
	return strings.ToUpper(method) + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash
}

// Signature is base64(HMAC-SHA256(key, stringToSign)).
func Signature(key []byte, stringToSign string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// AuthorizationValue is the Authorization header value for a signature.
func AuthorizationValue(signature string) string {
	return scheme + " SignedHeaders=" + SignedHeaders + "&Signature=" + signature
}

// FormatDate formats t as x-ms-date wants it (RFC 1123, GMT).
func FormatDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// Sign sets x-ms-date, x-ms-content-sha256 and Authorization on req, as the
// official SDKs do. host and pathAndQuery are what is signed: normally
// req.URL.Host and the escaped path plus raw query; content requests sign the
// ACS endpoint's host and the content URL's path alone, and carry that host in
// x-ms-host. body must be the exact bytes req will send.
func Sign(req *http.Request, key []byte, host, pathAndQuery string, body []byte, now time.Time) {
	date := FormatDate(now)
	hash := ContentHash(body)
	sig := Signature(key, StringToSign(req.Method, pathAndQuery, date, host, hash))
	req.Header.Set(HeaderDate, date)
	req.Header.Set(HeaderContentSHA256, hash)
	req.Header.Set(HeaderAuthorization, AuthorizationValue(sig))
}

// PathAndQuery returns the escaped path and raw query of a request as they
// appeared on the request line, which is what signers sign.
func PathAndQuery(r *http.Request) (withQuery, pathOnly string) {
	uri := r.RequestURI
	if uri == "" || strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		uri = r.URL.RequestURI()
	}
	pathOnly, _, _ = strings.Cut(uri, "?")
	return uri, pathOnly
}
