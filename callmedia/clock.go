package callmedia

import (
	"time"

	"github.com/callrec/callrec"
)

// Clock is a call's clock: positions count samples at callrec.SampleRate
// from Epoch, on the monotonic clock.
type Clock struct {
	Epoch time.Time
}

// Position returns the call-clock position of wall time t.
func (c Clock) Position(t time.Time) int64 {
	return int64(t.Sub(c.Epoch)) * callrec.SampleRate / int64(time.Second)
}
