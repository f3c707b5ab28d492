// Package sip is callrec's SIP endpoint: phones and trunks join callrec
// calls over SIP (RFC 3261, UDP and TCP, and TLS when configured), and their audio, carried by RTP
// (RTP/AVP: PCMU, PCMA, G.722, with RFC 4733 telephone-events and RFC 3389
// comfort noise), is decoded to callrec's 16 kHz timeline and published into
// the call media core like any other participant's.
//
// Vocabulary:
//
//   - Endpoint: the SIP user agent server listening on the configured
//     address (sipgo). It answers INVITE, ACK, BYE, CANCEL, OPTIONS and
//     in-dialog re-INVITE and UPDATE; anything in a dialog it does not know
//     gets 481.
//   - routing: an inbound INVITE joins the existing, active call whose
//     serverCallId is the Request-URI's user part (percent-decoded), e.g.
//     sip:<serverCallId>@host; an ended call gets 404. Any other user is
//     matched against the routes (route.go): it rings, or joins the call a
//     route names, or gets 404; with no route, every such user rings.
//   - ringing: the endpoint answers 180 and hands an Invitation to its
//     Ringer (the service raises IncomingCall) until the application
//     answers (the caller joins the call it names), rejects (486, 603,
//     403), redirects (302), or the ring timeout passes (480); a CANCEL
//     ends it with 487 (incoming.go).
//   - offer/answer: the INVITE's SDP offer (RFC 3264) is answered recvonly
//     with one audio codec, the first of the offer's that callrec decodes,
//     plus telephone-event and CN when offered. A body that is not SDP or
//     has no audio gets 400, an offer without a common codec 488. An
//     INVITE without a body is a late offer: callrec offers in its 200
//     (dialOffer) and takes the ACK's answer; an ACK without a usable one
//     ends the leg with a BYE.
//   - authentication: with Config.Users (users.go), every INVITE that opens
//     a dialog and every REGISTER needs digest credentials (digest.go: 401
//     with a challenge a configured algorithm, stateless signed nonces
//     whose uses are remembered against replay, 401 stale=true, 403, 400);
//     REGISTER keeps one Contact a user, where dials to the user go
//     (register.go). A trunk's challenge to callrec's INVITE is answered
//     once with Config.TrunkUser and TrunkPassword (dialout.go).
//   - leg: one SIP participant's media: a UDP port from the configured
//     range, a reorder buffer, the mapping of RTP time onto the call clock,
//     decoding, concealment of losses, and the participant's frames.
//   - rawId: a caller whose P-Asserted-Identity or From user part is an
//     E.164 number (+ and 1 to 15 digits) joins as "4:+<number>"; anyone
//     else as the From URI ("sip:alice@example.com"). A re-INVITE keeps it.
//   - hold: a re-INVITE whose offer is sendonly (the usual hold, perhaps
//     with music), inactive or recvonly mutes the participant: silence on
//     the timeline, what the phone sends meanwhile is not recorded;
//     sendrecv resumes.
//   - recording server: an INVITE that requires the siprec option tag or
//     whose Contact has +sip.src, and every request in its dialog, goes to
//     the RecordingServer set on the endpoint (package siprec), which
//     reuses the endpoint's dialogs, RTP ports (ListenRTP: consecutive even
//     ports) and RTP streams (Stream, ChooseFormat).
//
// The package depends on the call media core and the call service through
// the small interfaces in config.go; it knows nothing of WebRTC or the
// recorder.
package sip
