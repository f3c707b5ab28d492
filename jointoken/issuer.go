package jointoken

import (
	"context"
	"time"

	"github.com/callrec/callrec"
)

// Calls is what an Issuer needs to know of calls.
type Calls interface {
	Call(ctx context.Context, id string) (*callrec.Call, error)
}

// Issuer issues join tokens for calls that exist and have not ended (the
// REST edge's POST /calls/{id}/tokens).
type Issuer struct {
	AccessKey []byte // the service's access key, decoded
	Calls     Calls
}

// Issue returns a join token for rawID in callID and its expiry, after
// checking the id's form and that the call is active: 404 CallNotFound for
// an unknown call, 404 CallEnded for an ended one.
func (i *Issuer) Issue(ctx context.Context, callID, rawID string, ttl time.Duration) (string, time.Time, error) {
	if err := ValidateRawID(rawID); err != nil {
		return "", time.Time{}, err
	}
	call, err := i.Calls.Call(ctx, callID)
	if err != nil {
		return "", time.Time{}, err
	}
	if call.State == callrec.CallEnded {
		return "", time.Time{}, callrec.Errorf(callrec.KindNotFound, callrec.CodeCallEnded,
			"call %q has ended: it takes no new participants", callID)
	}
	token, expiry := Mint(i.AccessKey, callID, rawID, ttl, time.Now())
	return token, expiry, nil
}
