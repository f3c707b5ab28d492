// Package callrec holds the domain of callrec, a self-hosted call recording
// service whose API is wire-compatible with Azure Communication Services
// (ACS) Call Recording.
//
// The root package has no dependencies beyond the standard library: it
// defines the domain types (calls, participants, recordings, chunks, events),
// the service interfaces that the HTTP edge and the CLI program against, and
// coded errors. Implementations live in sub-packages, one per dependency:
// sqlite and postgres (state stores), httpapi (REST edge), hmacauth (request
// signing), callautomation (Go client SDK), ingest (WebRTC), sip (SIP phones),
// callmedia (the call media core), recorder (media files), webhook (event
// delivery), cluster (several nodes on one database: registry, placement,
// routing to a call's node, takeover of a lost node's calls).
//
// # Architecture
//
// Media flows from left to right:
//
//	participant ──► transport ──────────► call media core ──► recorder ──────► store / blob ──► outbox
//	 (browser,      ingest (WebRTC/WHIP)   callmedia.Hub       recorder.Engine  sqlite, blob      webhook.Worker
//	  WHIP client,  sip (SIP phones)       clock, participants  channels, pause,  (recordings,      (callbacks,
//	  phone)        jointoken              subscribers, budget  chunks, metadata   events)          Event Grid)
//	                    │                                             ▲
//	                    └─ joins, leaves ──► service ── start/stop ───┘
//	                                         (calls, recording state machine, lifecycle events)
//
// The imports match: ingest imports callmedia (it attaches participants
// and pushes audio frames and encoded video pictures) and jointoken, and reports joins and leaves through a
// callrec.CallService; sip imports callmedia in the same way for phone legs;
// recorder imports callmedia for its latency budget and reads media as a
// callrec.MediaSource; service drives the recorder as a
// callrec.RecordingEngine and hangs calls up through the hub's Hangup;
// webhook reads the outbox as a callrec.Outbox. Only app imports them all,
// and app.New builds them in that order: the hub first, then the recorder
// that subscribes to it, the webhook worker, the service that drives the
// recorder and writes the outbox, the transports that publish into the hub,
// and the HTTP edge (httpapi) in front; with a shared database, cluster
// sits between the edge and the service (a callrec.CallService and
// callrec.RecordingService that run each change on its call's node). A
// transport never imports the
// recorder, the service package or another transport.
package callrec
