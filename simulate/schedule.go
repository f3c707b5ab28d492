package simulate

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// FrameInterval is the duration of one packet.
const FrameInterval = 20 * time.Millisecond

// frameInterval is FrameInterval, as this package's code names it.
const frameInterval = FrameInterval

// SendPlan decides when each packet leaves: at its due time plus a random
// delay up to jitter, which reorders packets whose delays cross. Packet i is
// due at start + i×20 ms whatever happened before, so the sender's own
// lateness never shifts the stream.
type SendPlan struct {
	start  time.Time
	jitter time.Duration
	rng    *rand.Rand
	queue  sendQueue
	next   int // next packet index to plan
}

// NewSendPlan plans packets from start, each delayed by up to jitter, the
// delays drawn from seed.
func NewSendPlan(start time.Time, jitter time.Duration, seed uint64) *SendPlan {
	return &SendPlan{start: start, jitter: jitter, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Due returns when packet i is due, jitter aside.
func (p *SendPlan) Due(i int) time.Time { return p.start.Add(time.Duration(i) * frameInterval) }

// Ready plans every packet due by now (up to total) and returns, in send
// order, the indexes whose send time has come.
func (p *SendPlan) Ready(now time.Time, total int) (send []int) {
	for p.next < total && !p.Due(p.next).After(now) {
		i := p.next
		p.next++
		at := p.Due(i)
		if p.jitter > 0 {
			at = at.Add(time.Duration(p.rng.Int64N(int64(p.jitter) + 1)))
		}
		heap.Push(&p.queue, scheduled{index: i, at: at})
	}
	for p.queue.Len() > 0 && !p.queue[0].at.After(now) {
		send = append(send, heap.Pop(&p.queue).(scheduled).index)
	}
	return send
}

// Wake returns when Ready has something to do next.
func (p *SendPlan) Wake(total int) (time.Time, bool) {
	var t time.Time
	have := false
	if p.next < total {
		t, have = p.Due(p.next), true
	}
	if p.queue.Len() > 0 && (!have || p.queue[0].at.Before(t)) {
		t, have = p.queue[0].at, true
	}
	return t, have
}

type scheduled struct {
	index int
	at    time.Time
}

// sendQueue is a min-heap of packets by send time.
type sendQueue []scheduled

func (q sendQueue) Len() int           { return len(q) }
func (q sendQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q sendQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *sendQueue) Push(x any)        { *q = append(*q, x.(scheduled)) }
func (q *sendQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// Stream sends total packets from now on a SendPlan (jitter, seed): send(i)
// writes packet i; send may return ErrSkipped for a packet lost on purpose.
// It fills res's Started (unless set: packet 0 is due then), FirstSent,
// MaxLate and Sent, and returns nil once
// every packet is sent or ctx is done, send's error, or the first error
// from stop (the other end hung up).
func Stream(ctx context.Context, total int, jitter time.Duration, seed uint64, res *Result, stop <-chan error, send func(i int) error) error {
	if res.Started.IsZero() {
		res.Started = time.Now()
	}
	plan := NewSendPlan(res.Started, jitter, seed)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		for _, i := range plan.Ready(time.Now(), total) {
			if err := send(i); errors.Is(err, ErrSkipped) {
				continue
			} else if err != nil {
				return err
			}
			if i == 0 {
				res.FirstSent = time.Now()
			}
			res.MaxLate = max(res.MaxLate, time.Since(plan.Due(i)))
			res.Sent++
		}
		next, more := plan.Wake(total)
		if !more {
			return nil
		}
		timer.Reset(time.Until(next))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil
		case err := <-stop:
			return err
		}
	}
}

// ErrSkipped is returned by a Stream send function for a packet it
// dropped on purpose (simulated loss): it is not counted as sent.
var ErrSkipped = errors.New("simulate: packet skipped")
