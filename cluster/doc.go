// Package cluster lets several callrec nodes share one database and serve
// as one: any node answers the API, and a call lives on the node that
// hosts its media.
//
// Glossary:
//
//   - Member: this node in the registry (callrec.NodeStore). It heartbeats
//     every Lease/3 (URL, media addresses, capacity, load, draining), and
//     takes over the calls of a node whose heartbeat is older than Lease:
//     the calls move in one transaction (one taker wins), then Config.TakeOver
//     ends them (service.EndLostCall). A node only takes over after its own
//     heartbeats have succeeded for a whole Lease, so that after a database
//     outage every node has had the time to renew its own first. After each
//     heartbeat Config.Fence finishes what the node still records of calls
//     another node took over while this one was cut off.
//   - Placement: a new call goes to the node of least cost, (load + active
//     calls + 1) / capacity, among the nodes with a fresh heartbeat that
//     are not draining and not full; with none, 503 NoCapacity with
//     Retry-After.
//   - Router: the callrec.CallService and callrec.RecordingService the HTTP
//     API uses. Reads come from the shared database; creating a call runs
//     on the placed node, and ending a call and starting, pausing, resuming
//     and stopping a recording run on the call's node, over internal HTTP
//     (Handler, signed with the shared access key, as every request to
//     callrec is).
//   - Redirects: joins (WHIP POST /calls/{id}/whip, the join page
//     /join?call=ID) of a call on another node answer 307 to that node's
//     URL (Redirect). Join tokens are minted anywhere: every node holds the
//     same key.
//   - Incoming: answer, reject and redirect of a call that rings (its
//     INVITE held in the memory of the node it reached, which the
//     incomingCallContext names) run on that node over internal HTTP; a
//     context of a lost node is IncomingCallExpired.
//   - Connections: a call connection's operations on its call (hang up;
//     list, read, add, remove and mute participants) run on the node that
//     hosts the call, over the same internal HTTP (Connections), since the
//     participants' legs, whom they muted and the dialer are that node's;
//     its events are written there, once. A call whose node is not live
//     is NodeUnavailable (503, Retry-After) until a live node takes it
//     over and ends it; the connection then reads as disconnected.
//   - Content: a document this node does not have is fetched from the node
//     that does (ranges mapped to ranged requests), and deleted there
//     (Content).
package cluster
