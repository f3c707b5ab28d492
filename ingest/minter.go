package ingest

import (
	"context"
	"time"

	"github.com/callrec/callrec"
)

// MintToken issues a join token for rawID in callID, after checking the id's
// form and that the call exists and is active. It satisfies the REST edge's
// token minter (POST /calls/{id}/tokens).
func (s *Server) MintToken(ctx context.Context, callID, rawID string, ttl time.Duration) (string, time.Time, error) {
	if err := ValidateRawID(rawID); err != nil {
		return "", time.Time{}, err
	}
	call, err := s.cfg.Calls.Call(ctx, callID)
	if err != nil {
		return "", time.Time{}, err
	}
	if call.State == callrec.CallEnded {
		return "", time.Time{}, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded, "call %q has ended", callID)
	}
	token, expiry := MintToken(s.cfg.AccessKey, callID, rawID, ttl, time.Now())
	return token, expiry, nil
}
