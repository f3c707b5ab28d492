package mediarecv

import (
	"sync/atomic"
	"time"
)

// Cost is a worker's measured cost, what placement reads: the members
// (participants) it holds, the share of wall time its polls spend working,
// and the members that share was measured over. The worker goroutine alone
// calls Account and Idle; the rest is atomic.
type Cost struct {
	// Members counts the members placed and not yet gone.
	Members atomic.Int64
	// Busy is an average of the share of wall time the worker's polls
	// spend working (read, decode, ticks), in parts per million of a core.
	Busy atomic.Int64
	// Measured is Members averaged over the same windows as Busy, in
	// thousandths of a member: Busy / Measured is the worker's cost per
	// member, whose lag is Busy's and Measured's alike, so that it holds
	// while members come and go.
	Measured atomic.Int64

	lastLoad time.Time // when Busy was last folded
	worked   time.Duration
}

// Placed counts a member placed on the worker.
func (c *Cost) Placed() { c.Members.Add(1) }

// Gone counts a member gone from the worker.
func (c *Cost) Gone() { c.Members.Add(-1) }

// Idle forgets the measure: the worker has nothing to poll for.
func (c *Cost) Idle() {
	c.Busy.Store(0)
	c.Measured.Store(0)
	c.worked, c.lastLoad = 0, time.Time{}
}

// loadWindow is how long the worker's busy share is averaged over before
// it is folded into Busy.
const loadWindow = time.Second

// Account adds a poll's work (from start to end) to the measure; once a
// loadWindow has passed it folds the window's busy share into Busy, and
// the members it held into Measured (exponential averages over about 4 s).
func (c *Cost) Account(start, end time.Time) {
	c.worked += end.Sub(start)
	if c.lastLoad.IsZero() {
		c.lastLoad = start
	}
	span := end.Sub(c.lastLoad)
	if span < loadWindow {
		return
	}
	share := int64(float64(c.worked) / float64(span) * 1e6)
	old := c.Busy.Load()
	c.Busy.Store(old + (share-old)/4)
	oldM := c.Measured.Load()
	c.Measured.Store(oldM + (1000*c.Members.Load()-oldM)/4)
	c.worked, c.lastLoad = 0, end
}

// perMember is the worker's measured cost per member (ppm of a core), or
// 0 when it has no measure yet.
func (c *Cost) perMember() int64 {
	busy, measured := c.Busy.Load(), c.Measured.Load()
	if busy <= 0 || measured <= 0 {
		return 0
	}
	return max(busy*1000/measured, 1)
}

// packBusy is the share of a core (parts per million) a worker fills
// before the next worker is used: at low load one worker polls for
// everyone (fewer wake-ups, bigger decode bursts); beyond it, members go
// to the worker whose measured cost is least.
const packBusy = 250_000

// defaultMemberCost is the cost assumed of a member before any is
// measured: a participant takes about 0.3 % of a core.
const defaultMemberCost = 3_000

// Least returns the worker a new member should go to, by measured cost,
// not by count: each worker's estimate is the members it holds now at its
// measured cost per member (the average over all workers for a worker not
// measured yet), so that members placed in the last seconds, whose cost
// does not show in the averages yet, count at once. The first worker whose
// estimate is under packBusy takes it; else the least loaded.
func Least[W any](workers []W, cost func(W) *Cost) W {
	var busy, measured int64
	for _, w := range workers {
		c := cost(w)
		if c.perMember() > 0 {
			busy += c.Busy.Load()
			measured += c.Measured.Load()
		}
	}
	average := int64(defaultMemberCost)
	if measured > 0 {
		average = max(busy*1000/measured, 1)
	}
	least, leastCost := workers[0], int64(-1)
	for _, w := range workers {
		c := cost(w)
		per := c.perMember()
		if per == 0 {
			per = average
		}
		estimate := c.Members.Load() * per
		if estimate < packBusy {
			return w
		}
		if leastCost < 0 || estimate < leastCost {
			least, leastCost = w, estimate
		}
	}
	return least
}
