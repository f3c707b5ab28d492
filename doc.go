// Package callrec holds the domain of callrec, a self-hosted call recording
// service whose API is wire-compatible with Azure Communication Services
// (ACS) Call Recording.
//
// The root package has no dependencies beyond the standard library: it
// defines the domain types (calls, participants, recordings, chunks, events),
// the service interfaces that the HTTP edge and the CLI program against, and
// coded errors. Implementations live in sub-packages, one per dependency:
// sqlite (state store), httpapi (REST edge), hmacauth (request signing),
// callautomation (Go client SDK), ingest (WebRTC), recorder (media files).
package callrec
