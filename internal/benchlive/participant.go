package benchlive

import (
	"context"
	"net/http"
	"time"

	"github.com/callrec/callrec/simulate"
)

// participant is one simulated publisher joined to a call over WHIP. Its
// packets are sent by its call's pacer.
type participant struct {
	rawID    string
	freq     int
	clip     *clip
	pub      *publisher
	probe    *delayProbe
	location string // WHIP session URL
	token    string
	seq0     uint16
	ts0      uint32

	// Written by the pacer goroutine only; read after it has stopped.
	sent     int
	sendErrs int
	first    time.Time // when its first packet was due
	last     time.Time // when its last packet was due
}

// join publishes the participant over WHIP and connects it (ICE, DTLS).
func (p *participant) join(ctx context.Context, client *http.Client, endpoint, callID string) error {
	p.probe = newDelayProbe()
	pub, location, err := publish(ctx, client, endpoint, callID, p.token, p.probe)
	p.location = location
	if err != nil {
		return err
	}
	p.pub = pub
	return nil
}

// leave ends the WHIP session (the server records the leave) and closes
// the publisher. A second leave sends nothing.
func (p *participant) leave(client *http.Client) {
	if p.location != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = simulate.Leave(ctx, client, p.location, p.token)
		cancel()
		p.location = ""
	}
	if p.pub != nil {
		p.pub.close()
		p.pub = nil
	}
}
