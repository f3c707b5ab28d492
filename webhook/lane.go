package webhook

import (
	"net/url"
	"time"

	"github.com/callrec/callrec"
)

// claimed is a delivery held under this worker's lease since at.
type claimed struct {
	d   callrec.Delivery
	at  time.Time
	key string
}

// lane queues the claimed deliveries of one target, so that no target gets
// more than PerTargetConcurrency attempts at once.
type lane struct {
	queue   []claimed
	running int
}

// laneKey names the target a delivery counts against: its subscription, or
// for state callbacks the receiving scheme://host.
func laneKey(t callrec.Target) string {
	if t.Subscription != "" {
		return "subscription:" + t.Subscription
	}
	if u, err := url.Parse(t.URL); err == nil && u.Host != "" {
		return "host:" + u.Scheme + "://" + u.Host
	}
	return "url:" + t.URL
}

func (l *loop) enqueue(c claimed) {
	ln := l.lanes[c.key]
	if ln == nil {
		ln = &lane{}
		l.lanes[c.key] = ln
	}
	ln.queue = append(ln.queue, c)
	l.held++
	l.startReady(c.key)
}

// finished accounts for an attempt that ended and starts the next in line.
func (l *loop) finished(key string) {
	l.held--
	if ln := l.lanes[key]; ln != nil {
		ln.running--
	}
	l.startReady(key)
}

// startReady starts queued attempts of a lane up to its cap. A delivery that
// waited so long that its lease could lapse during the attempt is released
// instead: another claim will bring it back.
func (l *loop) startReady(key string) {
	cfg := l.w.cfg
	ln := l.lanes[key]
	if ln == nil {
		return
	}
	for ln.running < cfg.PerTargetConcurrency && len(ln.queue) > 0 {
		c := ln.queue[0]
		ln.queue = ln.queue[1:]
		if cfg.Now().Sub(c.at) > cfg.Lease-cfg.Policy.AttemptTimeout {
			l.held--
			cfg.Logger.Info("webhook: releasing a delivery that waited past its lease", "delivery", c.d.ID)
			continue
		}
		ln.running++
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			_ = l.w.attempt(l.attemptCtx, c.d) // logged inside
			l.done <- c.key
		}()
	}
	if ln.running == 0 && len(ln.queue) == 0 {
		delete(l.lanes, key)
	}
}
