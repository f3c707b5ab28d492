// Package app assembles a callrec node from its parts: the SQLite store, the
// control-plane service, the HTTP API, the webhook worker, and (when present)
// media ingest and the recording engine. It owns the node's one metrics
// registry, handed to every part, and serves it with the probes on the
// metrics listener (ops.go). `callrec serve` and the in-process
// test server both run an App, so tests exercise the same wiring users get.
package app

import (
	"time"

	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/ingest/rtcrecv"
	"github.com/callrec/callrec/webhook"
)

// Config is every setting of a node. Zero values take the defaults below.
type Config struct {
	DataDir string // default ./callrec-data
	// Database is the state store: a postgres:// URL (several nodes may
	// share it), or empty for the SQLite file DataDir/callrec.db.
	Database string
	// AccessKeyFile, if set, holds the access key (base64), managed by the
	// operator: it is used as it is, neither generated nor stored.
	// Without it a node keeps its key in DataDir/access-key, and nodes on
	// a shared database use the key the first of them stored there.
	AccessKeyFile string
	// NodeURL is this node's own base URL, for the other nodes sharing its
	// database (redirected joins, internal requests); default PublicURL.
	// NodeCapacity is how many participants it hosts at most (default
	// DefaultCapacity); NodeLease how long it keeps its calls without a
	// heartbeat (default cluster.DefaultLease).
	NodeURL      string
	NodeCapacity int
	NodeLease    time.Duration
	// DrainCallsTimeout is how long a drain (SIGTERM) of a node sharing its
	// database waits for its calls to end, placing none on it, before
	// draining requests (0: it does not wait).
	DrainCallsTimeout time.Duration
	Addr              string // listen address, default 127.0.0.1:8080
	PublicURL         string // endpoint in connection strings and content URLs; default from Addr

	TLSCert, TLSKey string // serve https with this certificate
	TLSSelfSigned   bool   // create a CA and server certificate in DataDir/tls

	MaxBodyBytes int64
	HMACMaxSkew  time.Duration
	// MaxUnmixedChannels is the channel count of unmixed recordings; zero
	// takes the recorder's default (callrec.MaxUnmixedChannels).
	MaxUnmixedChannels int
	// MaxParticipantsPerCall caps the participants of one call at once;
	// zero takes callmedia.DefaultMaxParticipants.
	MaxParticipantsPerCall int
	// DefaultFormat is what a recording start that names no content,
	// channel or format records: "mp4" (a mixed audioVideo MP4, as ACS;
	// also when empty), "wav" or "mp3" (mixed audio, for audio-only
	// installations).
	DefaultFormat string
	// CallIdleTimeout ends a call this long after its last participant
	// left with nobody back; CallUnjoinedTimeout ends a call nobody joined
	// this long after its creation. Zero never ends them (serve's flags
	// default to DefaultCallIdleTimeout and DefaultCallUnjoinedTimeout).
	CallIdleTimeout     time.Duration
	CallUnjoinedTimeout time.Duration

	WebhookPolicy       webhook.RetryPolicy
	WebhookPollInterval time.Duration

	// SubscriptionsFile names a JSON list of event subscriptions created
	// (or updated) at startup; see LoadSubscriptionsFile.
	SubscriptionsFile string
	// ValidationTimeout bounds a subscription's validation handshake
	// (default 30s, Event Grid's); ValidationDeadline is how long an
	// endpoint that failed it is retried (and an Event Grid one may GET its
	// validationUrl instead) before the subscription fails (default 5m).
	ValidationTimeout  time.Duration
	ValidationDeadline time.Duration
	// ValidationRetries are the waits between the handshakes of an
	// endpoint that failed it (default 10s, 30s, 1m, then 2m).
	ValidationRetries []time.Duration

	DrainTimeout time.Duration // how long SIGTERM waits for requests and recordings

	// MetricsAddr, if set, is where Prometheus metrics (/metrics) and the
	// probes (/healthz, /readyz) are served, unauthenticated; the API port
	// has the probes only.
	MetricsAddr string

	// Storage is where recordings are stored: a gocloud URL (file:///dir,
	// s3://bucket?endpoint=…, azblob://container?…; blob.Open), or empty
	// for the directory DataDir/recordings.
	Storage string
	// UploadInterval is how often the part of each live chunk written
	// since the last time is uploaded to Storage as a staged part
	// (recorder.Config.UploadInterval; default 30s, negative: never).
	UploadInterval time.Duration

	// ExternalStorageFile names the JSON file of the destinations a start's
	// externalStorage may name, with their credentials (byos.Load); empty
	// refuses externalStorage. ExportRetries are the waits between export
	// attempts (default byos.DefaultRetries). docs/byos.md.
	ExternalStorageFile string
	ExportRetries       []time.Duration

	// Recording files.
	ChunkMaxDuration time.Duration // default 4h
	ChunkMaxBytes    int64         // default 4 000 000 000
	Retention        time.Duration // 0 keeps recordings until deleted

	// SIPAddr is where the SIP endpoint listens, UDP and TCP (empty: no
	// SIP); SIPPublicAddr is the address written into Contact and SDP
	// behind NAT; SIPRTPPorts is the UDP port range of SIP media legs
	// ("first-last", default sip.DefaultRTPPorts).
	SIPAddr, SIPPublicAddr, SIPRTPPorts string
	// SIPRECRecord is what a SIPREC recording session records by itself
	// (siprec.ParsePolicy: "unmixed-wav" when empty, "off", …).
	SIPRECRecord string
	// SIPRoutes narrow which INVITEs raise IncomingCall and which join a
	// call directly ("PATTERN=incoming", "PATTERN=call:<serverCallId>";
	// sip.ParseRoute); none: every INVITE that names no call rings.
	// SIPRingTimeout is how long it rings before 480 (default
	// sip.DefaultRingTimeout); SIPTrunk the host[:port] phone numbers are
	// dialled through.
	SIPRoutes      []string
	SIPRingTimeout time.Duration
	SIPTrunk       string
	// SIPAuthFile names the users file (sip.LoadUsers: user:password[:realm]
	// lines) whose users must authenticate to call the SIP endpoint and
	// may REGISTER; empty: none. SIPTrunkAuthFile holds the one
	// user:password that answers the trunk's challenge.
	SIPAuthFile, SIPTrunkAuthFile string
	// SIPTLSAddr is where SIP also listens over TLS (empty: no TLS), with
	// the certificate and key (PEM files) SIPTLSCert and SIPTLSKey.
	SIPTLSAddr, SIPTLSCert, SIPTLSKey string
	// SIPAuthAlgorithms are the digest algorithms offered, in order
	// (default sip.DefaultAuthAlgorithms).
	SIPAuthAlgorithms []string

	// ICE says where WebRTC media flows (interfaces, ports, public IPs,
	// consent timeout).
	ICE rtcrecv.Config
}

// Defaults.
const (
	DefaultDataDir      = "./callrec-data"
	DefaultAddr         = "127.0.0.1:8080"
	DefaultDrainTimeout = 30 * time.Second

	DefaultCallIdleTimeout     = 60 * time.Second
	DefaultCallUnjoinedTimeout = 10 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.HMACMaxSkew <= 0 {
		c.HMACMaxSkew = hmacauth.DefaultMaxSkew
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	return c
}

func (c Config) tlsEnabled() bool { return c.TLSSelfSigned || c.TLSCert != "" }
