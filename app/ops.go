package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/httpapi"
)

// newRegistry is the node's one metrics registry: the Go runtime's and the
// process's collectors here, each part's own registered by New.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// ready says whether the node takes work: not draining, and its state
// database answers (/readyz).
func (a *App) ready(ctx context.Context) error {
	if a.draining.Load() {
		return callrec.Unavailable(nil, "draining: this node is shutting down and takes no new work")
	}
	if err := a.DB.Ping(ctx); err != nil {
		return callrec.Unavailable(err, "the state database does not answer")
	}
	return nil
}

// listenMetrics binds the metrics listener (Config.MetricsAddr), so that
// its address is known before the node serves.
func (a *App) listenMetrics() error {
	if a.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener on %s: %w", a.cfg.MetricsAddr, err)
	}
	a.metricsLn = ln
	a.MetricsURL = "http://" + ln.Addr().String()
	return nil
}

// serveMetrics serves /metrics, /healthz and /readyz on the metrics
// listener, unauthenticated, until stop is called; stop waits for the
// server to end. Without a listener it does nothing.
func (a *App) serveMetrics() (stop func()) {
	if a.metricsLn == nil {
		return func() {}
	}
	health := httpapi.Health(a.ready)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}))
	mux.Handle("/healthz", health)
	mux.Handle("/readyz", health)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("metrics listener stopped", "err", err)
		}
	}()
	a.log.Info("serving metrics", "url", a.MetricsURL+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
}
