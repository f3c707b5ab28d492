// Package webhook delivers callrec's events to HTTP endpoints: per-recording
// state callbacks (recordingStateCallbackUri) and event subscriptions.
//
// Events are written to a durable outbox (callrec.Outbox) in the same
// database transaction as the state change that caused them, one delivery
// per target. A Worker drains that outbox: one owner goroutine claims due
// deliveries under a lease, runs them with bounded concurrency, and stores
// their outcomes through Outbox.RecordAttempts. The service calls
// Worker.Notify after a commit so that fresh events go out at once rather
// than at the next poll.
//
// # Destinations
//
// Each destination (callrec.Target.Destination: the endpoint's
// scheme://host:port, whatever subscriptions or callbacks its deliveries
// are for) has its own budget of attempts in flight
// (Config.PerTargetConcurrency, 4 by default). A claim skips destinations
// whose budget is spent and takes no more of a destination than its budget
// has left, and a claimed delivery starts at once: an endpoint that never
// answers holds its own budget and nothing else, and every other endpoint
// is served as if it were not there.
//
// # Writes
//
// The worker's writes are batched for SQLite's single writer: each turn of
// its loop stores the outcomes of every attempt that finished since the
// previous turn in one transaction, then claims in another. The busier the
// database, the larger the batches. A failed write is retried; an outcome
// that cannot be stored before its lease ends is dropped and the delivery
// tried again (at least once).

// # Encodings
//
// Each target names a schema (callrec.Schema):
//
//   - cloudEventsArray: a JSON array of one CloudEvent 1.0, ACS's mid-call
//     callback format. Content-Type: application/json.
//   - cloudEvents: one structured-mode CloudEvent 1.0.
//     Content-Type: application/cloudevents+json; charset=utf-8.
//   - eventGrid: a JSON array of one Event Grid schema event, with the
//     headers aeg-event-type: Notification, aeg-subscription-name,
//     aeg-delivery-count (attempts made before this one: 0 on the first),
//     aeg-data-version and aeg-metadata-version.
//
// The event id is stable across attempts: a receiver that sees an id twice
// has a duplicate. No ordering is promised.
//
// # Retries and dead letters
//
// RetryPolicy defaults to Event Grid's schedule (EventGridPolicy): retry
// after 10s, 30s, 1m, 5m, 10m, 30m, 1h, 3h, 6h, then every 12h, with up to 10%
// jitter added (never subtracted), until 30 attempts or 24h after the event
// entered the outbox, whichever comes first. Success is 200–204 only. 400,
// 401, 403 and 413 are final: the delivery goes straight to dead. Any other
// status, a timeout (30s per attempt by default) or a connection error is
// retried. On 429 and 503 a Retry-After header (delta-seconds or HTTP-date)
// is honoured as a floor: the next attempt waits for the longer of the
// schedule step and Retry-After, Retry-After capped at
// RetryPolicy.MaxRetryAfter, so a receiver can slow callrec down but never
// make it retry faster than the schedule. A delivery whose next attempt
// would fall past its TTL is dead at once.
//
// A dead delivery's last error starts with a reason, as Event Grid's
// deadLetterReason does: DeliveryRejected (400/401/403/413),
// MaxDeliveryAttemptsExceeded, TimeToLiveExceeded or InvalidDelivery (the
// event could not be encoded or the target URL is unusable), then ": " and
// the last outcome, for example
// "DeliveryRejected: HTTP 400 Bad Request: missing field".
//
// # Verifying deliveries
//
// When a secret is configured for the target (Config.Secrets for a
// subscription, Config.CallbackSecret for state callbacks), each request
// carries
//
//	callrec-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
//
// where body is the exact request body. A receiver recomputes the HMAC over
// the t it received, compares in constant time, and rejects timestamps far
// from its clock (VerifySignature does all three; several v1 values may be
// present during key rotation). t is the time of the attempt, so a retried
// delivery has a fresh signature over the same body.
//
// # Endpoint validation
//
// Handshake.Validate proves that an endpoint wants events before a
// subscription to it receives any: Event Grid's SubscriptionValidationEvent
// (answer 200 with {"validationResponse": code}) for the eventGrid schema,
// CloudEvents' OPTIONS abuse protection (WebHook-Request-Origin /
// WebHook-Allowed-Origin) for the CloudEvents schemas; with a secret, both
// are signed as deliveries are. Handshake.ValidateEndpoint is the same with
// the subscription's secret and validationUrl, the validator the service's
// subscriptions take (they retry a failed handshake until a deadline).
// State callbacks are not validated, as in ACS.
//
// # Shutdown and leases
//
// When Run's context ends, the worker stops claiming, waits up to
// Config.DrainTimeout (callrec serve --drain-timeout) for attempts in flight,
// records their outcome, and returns. An attempt cut short by shutdown is not recorded: its lease runs
// out and a worker (this one after a restart, or another) tries it again, so
// delivery is at least once.
package webhook
