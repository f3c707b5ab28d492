// Package siprec is callrec's SIPREC Session Recording Server (RFC 7866):
// an SBC or PBX (the recording client, SRC) forks the media of its calls
// to callrec over SIP, and each recording session becomes a callrec call
// that is recorded and reached through the recording API like any other.
//
// Vocabulary:
//
//   - RS: a recording session, one SIP dialog with an SRC. Its INVITE
//     (Require: siprec, or +sip.src in Contact, or a multipart/mixed body)
//     carries an SDP offer of labelled streams and a metadata document.
//   - CS: the communication session being recorded, named by the
//     metadata's session id; its callrec call's serverCallId is derived
//     from it (ServerCallID), so that re-INVITEs, a new INVITE for the
//     same CS and a restart of callrec find the same call.
//   - metadata: RFC 7865 (<recording>) or the pre-RFC draft form
//     (<recording_metadata>), read into Metadata; unknown elements are
//     skipped. datamode partial updates what callrec knew, complete
//     replaces it (Metadata.Merge).
//   - stream: one m=audio line, matched to the metadata by a=label; its
//     participant is the one participant that sends it, or one named after
//     the stream (RawID, streamRawID). Streams are answered recvonly on
//     consecutive even ports P, P+2, … and decoded by the SIP endpoint's
//     RTP stream (sip.Stream), after SRTP decryption (SDES keys) for
//     RTP/SAVP.
//   - policy: what callrec records by itself when an RS starts
//     (ParsePolicy: unmixed WAV in metadata order by default, or off).
//     The recording's callrec block (Block) keeps the metadata.
//
// The package plugs into the SIP endpoint as its sip.RecordingServer and
// depends on the call and recording services through the interfaces in
// config.go. docs/siprec.md describes the behaviour.
package siprec
