package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/audio"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/cluster"
	"github.com/callrec/callrec/container/mp3"
	"github.com/callrec/callrec/hmacauth"
	"github.com/callrec/callrec/httpapi"
	"github.com/callrec/callrec/ingest"
	"github.com/callrec/callrec/internal/atomicfile"
	"github.com/callrec/callrec/jointoken"
	"github.com/callrec/callrec/recorder"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/sip"
	"github.com/callrec/callrec/siprec"
	"github.com/callrec/callrec/webhook"
)

// App is one running callrec node.
type App struct {
	cfg Config
	log *slog.Logger

	AccessKey        string
	rawKey           []byte
	ConnectionString string
	PublicURL        string
	TLSFiles         *SelfSignedFiles // set with --tls-self-signed

	DB            Store // sqlite.DB, or postgres.DB with Config.Database
	Subscriptions *service.Subscriptions
	Service       *service.Service
	Worker        *webhook.Worker
	API           *httpapi.Server
	Hub           *callmedia.Hub
	Engine        *recorder.Engine
	Ingest        *ingest.Server
	SIP           *sip.Endpoint  // nil without SIPAddr
	SIPREC        *siprec.Server // with SIP
	// Member is this node among those sharing its database (nil on a
	// single node: SQLite).
	Member *cluster.Member
	nodeID string

	dataDir *dataDir // locked while the node runs

	// MetricsURL is the metrics listener's base URL (http://host:port;
	// Config.MetricsAddr), empty without one.
	MetricsURL string
	registry   *prometheus.Registry // the node's one metrics registry (ops.go)
	metricsLn  net.Listener
	draining   atomic.Bool // /readyz answers 503 from the start of a drain

	closeOnce sync.Once
}

// New opens the data directory and assembles a node; it does not listen
// for HTTP yet (Listen, Serve), but a configured SIP endpoint is serving and
// the metrics listener (Config.MetricsAddr) is bound, so that MetricsURL is
// known.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	a := &App{cfg: cfg, log: log, registry: newRegistry()}
	ok := false
	dir, err := openDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a.dataDir = dir
	defer func() {
		if !ok {
			a.Close() // whatever was opened before the failure
			dir.undo(log)
		}
	}()
	a.DB, err = OpenStore(ctx, cfg.Database, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	key, err := a.accessKey(ctx)
	if err != nil {
		return nil, err
	}
	rawKey, err := hmacauth.DecodeKey(key)
	if err != nil {
		return nil, fmt.Errorf("access key in %s is not base64: %w", cfg.DataDir, err)
	}
	a.AccessKey, a.rawKey = key, rawKey
	a.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if a.PublicURL == "" {
		scheme := "http"
		if cfg.tlsEnabled() {
			scheme = "https"
		}
		a.PublicURL = scheme + "://" + cfg.Addr
	}
	a.ConnectionString = hmacauth.FormatConnectionString(a.PublicURL, key)
	if err := atomicfile.Write(filepath.Join(cfg.DataDir, publicURLFile), []byte(a.PublicURL+"\n"), 0o600); err != nil {
		// Only `callrec connection-string` reads it: a full disk must not
		// keep the node (and the recordings on it) from serving.
		log.Warn("cannot write the public URL file", "file", filepath.Join(cfg.DataDir, publicURLFile), "err", err)
	}
	if cfg.TLSSelfSigned {
		files, err := EnsureSelfSigned(cfg.DataDir, a.PublicURL)
		if err != nil {
			return nil, fmt.Errorf("creating self-signed certificates: %w", err)
		}
		a.TLSFiles = &files
	}

	defaultFormat := callrec.FormatMp4
	if cfg.DefaultFormat != "" {
		var ok bool
		if defaultFormat, ok = callrec.ParseFormat(cfg.DefaultFormat); !ok {
			return nil, fmt.Errorf("default format %q: want mp4, wav or mp3", cfg.DefaultFormat)
		}
	}

	// With SQLite this process is the database's only user: deliveries a
	// killed predecessor had claimed are due again now, not when its lease
	// ends (a shared PostgreSQL releases none).
	if cfg.clustered() {
		nodeID, err := loadNodeID(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		a.nodeID = nodeID
	}
	if n, err := a.DB.ReleaseLeases(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("released deliveries claimed before a restart", "deliveries", n)
	}

	// From here on, in the order media and events flow: the call media
	// core; the recorder that subscribes to it; the webhook worker that
	// delivers the outbox; the service that drives the recorder and writes
	// the outbox; the transports that publish into the core and report to
	// the service; the HTTP edge in front of them all.
	a.Hub, err = callmedia.New(callmedia.Config{MaxParticipants: cfg.MaxParticipantsPerCall})
	if err != nil {
		return nil, err
	}
	store, err := openRecordings(ctx, cfg)
	if err != nil {
		return nil, err
	}
	resourceID := resourceID(a.PublicURL)
	a.Engine, err = recorder.New(recorder.Config{
		DataDir:            cfg.DataDir,
		Blob:               store,
		Media:              a.Hub,
		MaxUnmixedChannels: cfg.MaxUnmixedChannels,
		ChunkMaxDuration:   cfg.ChunkMaxDuration,
		ChunkMaxBytes:      cfg.ChunkMaxBytes,
		UploadInterval:     cfg.UploadInterval,
		Retention:          cfg.Retention,
		ResourceID:         resourceID,
		Registerer:         a.registry,
		Logger:             log.With("component", "recorder"),
	})
	if err != nil {
		return nil, fmt.Errorf("recording engine: %w", err)
	}
	a.Worker, err = webhook.New(webhook.Config{
		Outbox:         a.DB,
		Policy:         cfg.WebhookPolicy,
		PollInterval:   cfg.WebhookPollInterval,
		DrainTimeout:   cfg.DrainTimeout,
		Logger:         log.With("component", "webhook"),
		CallbackSecret: key,
		Secrets:        storedSecrets(a.DB),
		Registerer:     a.registry,
	})
	if err != nil {
		return nil, err
	}
	exporter, err := newExporter(cfg, a.Engine, log)
	if err != nil {
		return nil, err
	}
	a.Service = service.New(service.Config{
		Exporter:            exporter,
		Store:               a.DB,
		Engine:              a.Engine,
		Media:               a.Hub,
		Control:             a.Hub,
		Connections:         a.DB,
		Dialer:              a.dialer(cfg),
		PublicURL:           a.PublicURL,
		ResourceID:          resourceID,
		CallIdleTimeout:     cfg.CallIdleTimeout,
		CallUnjoinedTimeout: cfg.CallUnjoinedTimeout,
		NodeID:              a.nodeID,
		Notify:              a.Worker.Notify,
		Logger:              log.With("component", "service"),
	})
	if cfg.clustered() {
		a.newMember(rawKey)
	}
	if err := a.openSubscriptions(ctx); err != nil {
		return nil, err
	}
	a.Ingest, err = ingest.New(ingest.Config{
		Hub:        a.Hub,
		Calls:      a.Service,
		AccessKey:  rawKey,
		Media:      cfg.ICE,
		Registerer: a.registry,
		Logger:     log,
	})
	if err != nil {
		return nil, fmt.Errorf("media ingest: %w", err)
	}
	if cfg.SIPAddr != "" {
		routes := make([]sip.Route, len(cfg.SIPRoutes))
		for i, r := range cfg.SIPRoutes {
			if routes[i], err = sip.ParseRoute(r); err != nil {
				return nil, fmt.Errorf("--sip-route: %w", err)
			}
		}
		sc := sip.Config{Addr: cfg.SIPAddr, PublicAddr: cfg.SIPPublicAddr, RTPPorts: cfg.SIPRTPPorts,
			Hub: a.Hub, Calls: a.Service, Incoming: a.Service, Routes: routes, RingTimeout: cfg.SIPRingTimeout,
			RingingFile: filepath.Join(cfg.DataDir, "sip-ringing.json"),
			Trunk:       cfg.SIPTrunk, AuthAlgorithms: cfg.SIPAuthAlgorithms, Registerer: a.registry, Logger: log}
		if cfg.SIPAuthFile != "" {
			if sc.Users, err = sip.LoadUsers(cfg.SIPAuthFile); err != nil {
				return nil, fmt.Errorf("--sip-auth-file: %w", err)
			}
		}
		if cfg.SIPTLSAddr != "" {
			cert, err := tls.LoadX509KeyPair(cfg.SIPTLSCert, cfg.SIPTLSKey)
			if err != nil {
				return nil, fmt.Errorf("--sip-tls-cert, --sip-tls-key: %w", err)
			}
			sc.TLSAddr, sc.TLS = cfg.SIPTLSAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		if cfg.SIPTrunkAuthFile != "" {
			trunk, err := sip.LoadUsers(cfg.SIPTrunkAuthFile)
			if err == nil && len(trunk) != 1 {
				err = errors.New("want one user:password line")
			}
			if err != nil {
				return nil, fmt.Errorf("--sip-trunk-auth-file: %w", err)
			}
			sc.TrunkUser, sc.TrunkPassword = trunk[0].Name, trunk[0].Password
		}
		if a.Member != nil {
			sc.Redirect = a.Member.SIPRedirect
		}
		a.SIP, err = sip.New(sc)
		if err != nil {
			return nil, err
		}
		policy, err := siprec.ParsePolicy(cfg.SIPRECRecord)
		if err != nil {
			return nil, err
		}
		a.SIPREC, err = siprec.New(siprec.Config{Endpoint: a.SIP, Hub: a.Hub, Calls: a.Service, Recordings: a.Service,
			Annotator: a.Service, Policy: policy, Logger: log})
		if err != nil {
			return nil, err
		}
	}
	var (
		calls      callrec.CallService      = a.Service
		recordings callrec.RecordingService = a.Service
		content    callrec.ContentStore     = a.Engine
		conns      httpapi.CallConnections  = a.Service
	)
	if cfg.clustered() {
		router := cluster.NewRouter(a.Service, a.Member)
		calls, recordings, content = router, router, cluster.NewContent(a.Engine, a.Member)
		conns = clusterConnections{a.Service, cluster.NewIncoming(a.Service, a.Member), cluster.NewConnections(a.Service, a.Member)}
	}
	verifier := &hmacauth.Verifier{Key: rawKey, MaxSkew: cfg.HMACMaxSkew}
	if u, err := urlHost(a.PublicURL); err == nil {
		verifier.Hosts = []string{u}
	}
	a.API = httpapi.New(httpapi.Config{
		Calls:           calls,
		Recordings:      recordings,
		CallConnections: conns,
		Content:         content,
		Tokens:          &jointoken.Issuer{AccessKey: rawKey, Calls: a.Service},
		Media:           a.Ingest.Handler(),
		Events:          a.Subscriptions,
		Verifier:        verifier,
		PublicURL:       a.PublicURL,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		DefaultFormat:   defaultFormat,
		JoinTokens: func(token, callID string) error {
			_, err := jointoken.Verify(rawKey, token, callID, time.Now())
			return err
		},
		Ready:      a.ready,
		Registerer: a.registry,
		Logger:     log.With("component", "httpapi"),
	})
	recovered, err := a.Engine.Recover(ctx)
	if err != nil {
		return nil, fmt.Errorf("recovering recordings: %w", err)
	}
	ids := make([]string, len(recovered))
	for i, r := range recovered {
		ids[i] = r.Recording.ID
		log.Info("recovered recording files", "recordingId", r.Recording.ID, "finalizedChunks", len(r.Finalized))
	}
	if err := a.Service.RestartRecorders(ctx, ids); err != nil {
		return nil, err
	}
	if err := a.Service.RecoverCalls(ctx); err != nil {
		// The node serves anyway (a full disk, for one); calls it could
		// not take up end when ended by hand.
		log.Warn("cannot take up the active calls", "err", err)
	}
	if err := a.listenMetrics(); err != nil {
		return nil, err
	}
	if a.SIP != nil {
		// SIP serves from here on (its address is known, for tests on
		// port 0); Close or Serve's drain stops it.
		if err := a.SIP.Listen(); err != nil {
			return nil, err
		}
	}
	if a.Member != nil {
		// Registered once its SIP address is known, before it serves.
		if err := a.registerNode(ctx); err != nil {
			return nil, err
		}
	}
	ok = true
	return a, nil
}

// Listen opens the configured listen address.
func (a *App) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx is done, then drains within one
// DrainTimeout: at once and side by side, the HTTP server lets requests in
// flight finish, media sessions are closed (their leaves recorded), and the
// webhook worker stops claiming and waits for its attempts in flight (its
// own DrainTimeout is the same); then the store is closed.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.API.HTTPServer(context.WithoutCancel(ctx), slog.NewLogLogger(a.log.Handler(), slog.LevelWarn))
	if a.Member != nil {
		srv.Handler = a.Member.Handler(srv.Handler, cluster.Handler(a.Service, a.Engine, a.rawKey))
	}
	if a.cfg.tlsEnabled() {
		certFile, keyFile := a.cfg.TLSCert, a.cfg.TLSKey
		if a.TLSFiles != nil {
			certFile, keyFile = a.TLSFiles.Cert, a.TLSFiles.Key
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("loading TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, serverTLSConfig(cert))
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	var worker sync.WaitGroup
	worker.Go(func() { a.Worker.Run(workerCtx) })
	worker.Go(func() { a.Subscriptions.Run(workerCtx) })
	worker.Go(func() { a.Service.EndRecordings(workerCtx, a.Engine.Ended()) })
	worker.Go(func() { a.Service.FilesStored(workerCtx, a.Engine.Stored()) })
	if a.Member != nil {
		worker.Go(func() { a.Member.Run(workerCtx) })
	}

	stopMetrics := a.serveMetrics()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("callrec serving", "addr", ln.Addr().String(), "publicUrl", a.PublicURL, "data", a.cfg.DataDir,
		"mp3Encoder", mp3.Encoder(), "opusDecoder", audio.OpusDecoderName())

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
	}
	a.draining.Store(true)
	a.drainCalls(context.WithoutCancel(ctx))
	a.log.Info("draining", "timeout", a.cfg.DrainTimeout)
	drainCtx, cancel := context.WithTimeout(context.Background(), a.cfg.DrainTimeout)
	defer cancel()
	stopWorker()
	var drain sync.WaitGroup
	drain.Go(func() {
		if serr := srv.Shutdown(drainCtx); err == nil {
			err = serr
		}
	})
	drain.Go(func() {
		if cerr := a.Ingest.Close(drainCtx); cerr != nil {
			a.log.Warn("closing media sessions", "err", cerr)
		}
	})
	if a.SIP != nil {
		drain.Go(func() {
			if cerr := a.SIPREC.Close(drainCtx); cerr != nil {
				a.log.Warn("closing SIPREC sessions", "err", cerr)
			}
			if cerr := a.SIP.Close(drainCtx); cerr != nil {
				a.log.Warn("closing SIP legs", "err", cerr)
			}
		})
	}
	drain.Wait()
	worker.Wait()
	stopMetrics()
	a.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the node's resources at once.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.SIP != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = a.SIPREC.Close(ctx)
			_ = a.SIP.Close(ctx) // nothing left after a drain; legs cut short otherwise
			cancel()
		}
		if a.Service != nil {
			a.Service.Close()
		}
		if a.Engine != nil {
			if err := a.Engine.Close(); err != nil {
				a.log.Warn("closing the recording engine", "err", err)
			}
		}
		if a.DB != nil {
			a.DB.Close()
		}
		if a.metricsLn != nil {
			a.metricsLn.Close() // not served (Serve closes it itself)
		}
		a.dataDir.unlock()
	})
}

// resourceID names this node in events (their source) and in metadata
// documents (resourceId): "/callrec/" and the public URL's host.
func resourceID(publicURL string) string {
	host, err := urlHost(publicURL)
	if err != nil {
		host = publicURL
	}
	return "/callrec/" + host
}

func urlHost(u string) (string, error) {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", errors.New("no scheme")
	}
	host, _, _ := strings.Cut(rest, "/")
	return host, nil
}
