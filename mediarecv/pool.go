package mediarecv

import (
	"errors"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Pool. The zero value is one worker per CPU polling
// every 20 ms.
type Config struct {
	// Workers is the number of worker goroutines. Zero means GOMAXPROCS.
	Workers int
	// PollInterval is how long a worker sleeps between reads of its
	// sockets. Zero means TickInterval.
	PollInterval time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// TickInterval is how often a member's Tick runs.
const TickInterval = 20 * time.Millisecond

// Member is one participant's receive side on a worker (a SIP leg, a
// SIPREC stream): the sockets it was attached with are read by the worker,
// and every method runs on the worker goroutine, one call at a time; none
// may block.
type Member interface {
	// Receive takes one datagram from one of the member's sockets. b is
	// valid only during the call.
	Receive(s *Socket, from netip.AddrPort, b []byte, arrival time.Time)
	// Tick lets time pass, every TickInterval; read is when this poll's
	// read of the sockets began (what arrived before it has been
	// received). It returns true when the member is done: the worker stops
	// reading its sockets and calls Detached.
	Tick(now, read time.Time) (done bool)
	// Detached is the last call: the member's sockets are no longer read
	// (the member closes them), because it was done or the pool closed.
	Detached()
}

// ErrClosed is returned by Attach once the pool is closing.
var ErrClosed = errors.New("the media receive pool is closed")

// Pool is a few worker goroutines that read the sockets of every member
// attached to them.
type Pool struct {
	cfg      Config
	log      *slog.Logger
	workers  []*Worker
	wg       sync.WaitGroup
	closeMu  sync.Mutex
	isClosed bool
}

// New starts a pool's workers; Close stops them.
func New(cfg Config) *Pool {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = TickInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Pool{cfg: cfg, log: cfg.Logger.With("component", "mediarecv")}
	for i := range cfg.Workers {
		p.workers = append(p.workers, newWorker(p, i))
	}
	for _, w := range p.workers {
		p.wg.Go(w.run)
	}
	return p
}

// Close detaches every member (their Detached run) and stops the workers.
func (p *Pool) Close() {
	p.closeMu.Lock()
	if p.isClosed {
		p.closeMu.Unlock()
		return
	}
	p.isClosed = true
	p.closeMu.Unlock()
	for _, w := range p.workers {
		w.mu.Lock()
		close(w.quit)
		w.mu.Unlock()
	}
	p.wg.Wait()
}

// Attach places m on the worker with the least measured cost (Pick) and
// has it read socks for m from its next poll on.
func (p *Pool) Attach(m Member, socks ...*Socket) error {
	return p.Pick().Attach(m, socks...)
}

// packBusy is the share of a core (parts per million) a worker fills
// before the next worker is used: at low load one worker polls for
// everyone (fewer wake-ups, bigger decode bursts); beyond it, members go
// to the worker whose measured cost is least.
const packBusy = 250_000

// defaultMemberCost is the cost assumed of a member before any is
// measured: a participant takes about 0.3 % of a core.
const defaultMemberCost = 3_000

// Pick returns the worker a new member should go to, by measured cost, not
// by count: each worker's busy share (the wall time its polls spend
// working), plus an estimate for the members it took whose cost does not
// show yet. The first worker whose estimate is under packBusy takes it;
// else the least loaded.
func (p *Pool) Pick() *Worker {
	var busy, members int64
	for _, w := range p.workers {
		busy += w.busy.Load()
		members += max(w.load.Load()-w.fresh.Load(), 0)
	}
	per := int64(defaultMemberCost)
	if members > 0 && busy > 0 {
		per = max(busy/members, 1)
	}
	least, leastCost := p.workers[0], int64(-1)
	for _, w := range p.workers {
		cost := w.busy.Load() + w.fresh.Load()*per
		if cost < packBusy {
			return w
		}
		if leastCost < 0 || cost < leastCost {
			least, leastCost = w, cost
		}
	}
	return least
}

// Workers returns the pool's workers.
func (p *Pool) Workers() []*Worker { return p.workers }

// Worker is one goroutine of a pool and the members it reads for. Its
// goroutine is the only one that touches its members' media state.
type Worker struct {
	pool   *Pool
	index  int
	log    *slog.Logger
	reader *Reader

	load atomic.Int64 // members attached and not yet detached
	// busy is the worker's measured cost: an average of the share of wall
	// time its polls spend working (read, decode, ticks), in parts per
	// million of a core. Pick reads it.
	busy atomic.Int64
	// fresh counts members attached recently, whose cost busy does not
	// show yet.
	fresh atomic.Int64

	mu      sync.Mutex
	pending []attachment // attached, not yet adopted
	wake    chan struct{}
	quit    chan struct{}

	// Owned by the worker goroutine.
	members  []Member
	socks    []attachment // one per socket
	nextTick time.Time
	lastLoad time.Time
	worked   time.Duration
	lastRead time.Time
	readErr  bool
}

// attachment is a socket and the member it is read for (socket nil: a
// member without sockets of its own).
type attachment struct {
	m    Member
	s    *Socket
	recv Handler
	all  []*Socket // on the first of a member's attachments
}

func newWorker(p *Pool, index int) *Worker {
	return &Worker{pool: p, index: index, log: p.log.With("worker", index), reader: NewReader(),
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

// Busy is the worker's measured cost, in parts per million of a core.
func (w *Worker) Busy() int64 { return w.busy.Load() }

// Attach has the worker read socks for m from its next poll on, and tick
// m. m's methods run on the worker from then on, until Detached.
func (w *Worker) Attach(m Member, socks ...*Socket) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.quit:
		return ErrClosed
	default:
	}
	a := attachment{m: m, recv: m.Receive, all: socks}
	w.pending = append(w.pending, a)
	w.load.Add(1)
	w.fresh.Add(1)
	w.Poke()
	return nil
}

// Poke wakes an idle worker.
func (w *Worker) Poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run polls until the pool closes: sleep a poll interval, adopt new
// members, read the sockets, tick the members (reading the sockets again
// whenever ticking has held them for readEvery), detach what is done.
func (w *Worker) run() {
	poll := w.pool.cfg.PollInterval
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		if len(w.members) == 0 && !w.hasPending() {
			// Nothing to poll for: no cost until a member comes.
			w.busy.Store(0)
			w.worked, w.lastLoad = 0, time.Time{}
			select {
			case <-w.wake:
			case <-w.quit:
				w.shutdown()
				return
			}
		} else {
			select {
			case <-timer.C:
			case <-w.quit:
				w.shutdown()
				return
			}
		}
		now := time.Now()
		w.adopt()
		w.read(now)
		if !now.Before(w.nextTick) {
			w.nextTick = now.Add(TickInterval)
			w.tick(now)
		}
		end := time.Now()
		w.account(now, end)
		timer.Reset(max(poll-end.Sub(now), time.Millisecond))
	}
}

// readEvery is the longest the members' work holds back the next read of
// the worker's sockets.
const readEvery = 2 * time.Millisecond

// read reads every socket of the worker now.
func (w *Worker) read(now time.Time) {
	w.lastRead = now
	for i := range w.socks {
		a := &w.socks[i]
		if err := w.reader.Drain(a.s, now, a.recv); err != nil && !w.readErr {
			w.readErr = true
			w.log.Error("read from media socket", "socket", a.s.Local().String(), "err", err)
		}
	}
}

// Interleave reads the worker's sockets again if work has held them back
// for readEvery since the last read. A member whose Tick does a lot (many
// participants' decoding) calls it between pieces of work; the worker
// calls it between members' ticks.
func (w *Worker) Interleave() {
	if t := time.Now(); t.Sub(w.lastRead) >= readEvery {
		w.read(t)
	}
}

// tick ticks every member, then detaches the ones done.
func (w *Worker) tick(now time.Time) {
	read := w.lastRead
	done := false
	for i, m := range w.members {
		if m.Tick(now, read) {
			w.members[i] = nil
			w.detach(m)
			done = true
		}
		w.Interleave()
	}
	if done {
		w.members = slices.DeleteFunc(w.members, func(m Member) bool { return m == nil })
	}
}

// detach stops reading m's sockets and tells it.
func (w *Worker) detach(m Member) {
	w.socks = slices.DeleteFunc(w.socks, func(a attachment) bool { return a.m == m })
	w.load.Add(-1)
	m.Detached()
}

// loadWindow is how long the worker's busy share is averaged over before
// it is folded into busy.
const loadWindow = time.Second

// account adds a poll's work (from start to end) to the worker's measured
// cost; once a loadWindow has passed it folds the window's busy share into
// busy (an exponential average over about 4 s) and forgets the fresh
// members, which the window has measured by now.
func (w *Worker) account(start, end time.Time) {
	w.worked += end.Sub(start)
	if w.lastLoad.IsZero() {
		w.lastLoad = start
	}
	span := end.Sub(w.lastLoad)
	if span < loadWindow {
		return
	}
	share := int64(float64(w.worked) / float64(span) * 1e6)
	old := w.busy.Load()
	w.busy.Store(old + (share-old)/4)
	w.worked, w.lastLoad = 0, end
	if f := w.fresh.Load(); f > 0 {
		w.fresh.Add(-f)
	}
}

func (w *Worker) hasPending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > 0
}

// adopt takes the members attached since the last poll.
func (w *Worker) adopt() {
	w.mu.Lock()
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, a := range pending {
		w.members = append(w.members, a.m)
		for _, s := range a.all {
			w.socks = append(w.socks, attachment{m: a.m, s: s, recv: a.recv})
		}
	}
}

// shutdown detaches every member as the pool closes.
func (w *Worker) shutdown() {
	w.mu.Lock()
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, a := range pending {
		w.members = append(w.members, a.m)
	}
	for _, m := range w.members {
		w.detach(m)
	}
	w.members, w.socks = nil, nil
}
