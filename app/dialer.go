package app

import (
	"context"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
)

// sipDialer places the service's outbound legs (createCall,
// addParticipant) through the app's SIP endpoint, which is made after the
// service.
type sipDialer struct{ a *App }

func (d sipDialer) Dial(ctx context.Context, dial callrec.Dial) error { return d.a.SIP.Dial(ctx, dial) }

// dialer is the service's Dialer: the SIP endpoint when SIP is on, nil
// (outbound calls answer 501) without.
func (a *App) dialer(cfg Config) service.Dialer {
	if cfg.SIPAddr == "" {
		return nil
	}
	return sipDialer{a}
}
