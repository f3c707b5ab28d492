package sipphone

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// Reports is what callrec's RTCP receiver reports said about the phone's
// stream: how many came, and the last one's figures.
type Reports struct {
	Count        int
	FractionLost uint8  // of the last report, in 256ths
	TotalLost    uint32 // cumulative, as of the last report
	LastSeq      uint32 // extended highest sequence number received
	Jitter       uint32 // interarrival jitter, RTP clock units (8000 Hz)
	SSRC         uint32 // the reporter's
}

// ReportReader reads receiver reports on a call's RTCP socket (and, for
// rtcp-mux, its RTP socket is not read: the phone only sends there).
type ReportReader struct {
	call *Call
	mu   sync.Mutex
	r    Reports
	got  chan struct{} // signalled at each report
	done chan struct{}
}

// ReadReports starts reading callrec's receiver reports on the call's
// RTCP socket until Stop.
func (c *Call) ReadReports() *ReportReader {
	rr := &ReportReader{call: c, got: make(chan struct{}, 1), done: make(chan struct{})}
	go rr.run()
	return rr
}

func (rr *ReportReader) run() {
	defer close(rr.done)
	buf := make([]byte, 1500)
	for {
		n, _, err := rr.call.RTCP.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed by Stop
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			r, ok := p.(*rtcp.ReceiverReport)
			if !ok {
				continue
			}
			for _, b := range r.Reports {
				rr.mu.Lock()
				rr.r = Reports{Count: rr.r.Count + 1, FractionLost: b.FractionLost, TotalLost: b.TotalLost,
					LastSeq: b.LastSequenceNumber, Jitter: b.Jitter, SSRC: r.SSRC}
				rr.mu.Unlock()
				select {
				case rr.got <- struct{}{}:
				default:
				}
			}
		}
	}
}

// Now returns the reports so far.
func (rr *ReportReader) Now() Reports {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.r
}

// Stop waits up to a second for the next report (callrec sends one when
// the leg ends: call Stop after hanging up), stops reading and returns
// what was read.
func (rr *ReportReader) Stop() Reports {
	select {
	case <-rr.got: // one from before
	default:
	}
	select {
	case <-rr.got:
	case <-time.After(time.Second):
	}
	_ = rr.call.RTCP.SetReadDeadline(time.Now())
	<-rr.done
	return rr.Now()
}
