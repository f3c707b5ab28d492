// Package service implements callrec's control plane: calls, participants
// and the ACS recording state machine (start, pause, resume, stop), over a
// callrec.Store. Every state change and the events it causes are committed
// together; a RecordingEngine, when configured, turns the changes into media
// files.
package service

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/byos"
)

// Config wires a Service.
type Config struct {
	Store callrec.Store
	// Engine records media. Nil runs the control plane alone: recordings
	// change state and send callbacks, but no files are written.
	Engine callrec.RecordingEngine
	// PublicURL is the externally visible base URL, used in content URLs.
	PublicURL string
	// ResourceID identifies this callrec instance in events (ACS's immutable
	// resource id).
	ResourceID string
	// Media hangs up the participants of a call that ends (the call media
	// core). Nil: ending a call leaves its media to the transports.
	Media CallMedia
	// Connections stores Call Automation call connections; nil answers
	// their routes 503. Control removes and mutes single participants;
	// Dialer places outbound legs (createCall, addParticipant; nil: 501).
	Connections callrec.CallConnectionStore
	Control     ParticipantControl
	Dialer      Dialer
	// CallIdleTimeout ends a call this long after its last participant
	// left, unless someone rejoined; CallUnjoinedTimeout ends a call nobody
	// joined this long after its creation. Zero never ends them.
	CallIdleTimeout     time.Duration
	CallUnjoinedTimeout time.Duration
	// NodeID names this node among several sharing one database: the
	// calls it creates are its own (Call.Node), and at startup it takes up
	// only its own calls and recordings (and those of no node). Empty on a
	// single node.
	NodeID string
	// Exporter exports the files of recordings started with
	// externalStorage, and its Destinations are the ones a start may name;
	// nil refuses externalStorage (docs/byos.md).
	Exporter *byos.Exporter
	// Notify is called after events are committed (wakes the webhook worker).
	Notify func()
	Now    func() time.Time
	Logger *slog.Logger
}

// Service implements callrec.CallService and callrec.RecordingService.
type Service struct {
	cfg      Config
	log      *slog.Logger
	locks    keyedMutex    // per recording id
	timers   callTimers    // calls due to end unless someone joins
	incoming incomingCalls // calls that ring, waiting for an answer
	conns    connections   // call connections' in-memory side
	exports  exports       // recordings whose export to external storage is due
	// run names this server run in the incomingCallContexts it mints
	// (random, new at every start): a context of another run rang before
	// a restart and has expired.
	run string
}

var (
	_ callrec.CallService      = (*Service)(nil)
	_ callrec.RecordingService = (*Service)(nil)
)

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var run [6]byte
	rand.Read(run[:])
	return &Service{cfg: cfg, log: log, run: base64.RawURLEncoding.EncodeToString(run[:]),
		exports: exports{kick: make(chan struct{}, 1)}}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// channelLimiter is implemented by engines whose unmixed recordings have a
// channel count of their own (the recorder's --max-unmixed-channels).
type channelLimiter interface{ MaxUnmixedChannels() int }

// maxUnmixedChannels is the channel limit in force: the engine's, or ACS's
// without one.
func (s *Service) maxUnmixedChannels() int {
	if l, ok := s.cfg.Engine.(channelLimiter); ok {
		return l.MaxUnmixedChannels()
	}
	return callrec.MaxUnmixedChannels
}
