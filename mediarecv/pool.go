package mediarecv

import (
	"errors"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"sync"
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

// Pick returns the worker a new member should go to, by measured cost
// (Least).
func (p *Pool) Pick() *Worker { return Least(p.workers, (*Worker).costOf) }

func (w *Worker) costOf() *Cost { return &w.cost }

// Workers returns the pool's workers.
func (p *Pool) Workers() []*Worker { return p.workers }

// Worker is one goroutine of a pool and the members it reads for. Its
// goroutine is the only one that touches its members' media state.
type Worker struct {
	pool   *Pool
	index  int
	log    *slog.Logger
	reader *Reader

	cost Cost // what placement reads

	mu      sync.Mutex
	pending []attachment // attached, not yet adopted
	wake    chan struct{}
	quit    chan struct{}

	// Owned by the worker goroutine.
	members  []Member
	socks    []*attachment // one per socket
	poll     *poller       // nil: every socket is read at every read
	byKey    map[int32]*attachment
	readAt   time.Time
	readOne  func(key int32) // w.readReady, made once
	nextTick time.Time
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
	w := &Worker{pool: p, index: index, log: p.log.With("worker", index), reader: NewReader(),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), byKey: map[int32]*attachment{}}
	if poll, err := newPoller(); err == nil {
		w.poll = poll
	}
	w.readOne = w.readReady
	return w
}

// Busy is the worker's measured cost, in parts per million of a core.
func (w *Worker) Busy() int64 { return w.cost.Busy.Load() }

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
	w.cost.Placed()
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
			w.cost.Idle()
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
		w.cost.Account(now, end)
		timer.Reset(max(poll-end.Sub(now), time.Millisecond))
	}
}

// readEvery is the longest the members' work holds back the next read of
// the worker's sockets.
const readEvery = 2 * time.Millisecond

// read reads every socket of the worker that has datagrams waiting now
// (every socket, without a poller).
func (w *Worker) read(now time.Time) {
	w.lastRead, w.readAt = now, now
	if w.poll != nil {
		if err := w.poll.ready(w.readOne); err != nil {
			w.readFailed(nil, err)
		}
		return
	}
	for _, a := range w.socks {
		w.drain(a)
	}
}

func (w *Worker) readReady(key int32) {
	if a := w.byKey[key]; a != nil {
		w.drain(a)
	}
}

func (w *Worker) drain(a *attachment) {
	if err := w.reader.Drain(a.s, w.readAt, a.recv); err != nil {
		w.readFailed(a.s, err)
	}
}

// readFailed logs a worker's first read error.
func (w *Worker) readFailed(s *Socket, err error) {
	if w.readErr {
		return
	}
	w.readErr = true
	if s != nil {
		w.log.Error("read from media socket", "socket", s.Local().String(), "err", err)
	} else {
		w.log.Error("poll media sockets", "err", err)
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
	w.socks = slices.DeleteFunc(w.socks, func(a *attachment) bool {
		if a.m != m {
			return false
		}
		if w.poll != nil {
			w.poll.remove(a.s)
			delete(w.byKey, a.s.key())
		}
		return true
	})
	w.cost.Gone()
	m.Detached()
}

func (w *Worker) hasPending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > 0
}

// takePending returns the members attached since the last poll.
func (w *Worker) takePending() []attachment {
	w.mu.Lock()
	defer w.mu.Unlock()
	pending := w.pending
	w.pending = nil
	return pending
}

// adopt takes the members attached since the last poll.
func (w *Worker) adopt() {
	for _, a := range w.takePending() {
		w.members = append(w.members, a.m)
		for _, s := range a.all {
			at := &attachment{m: a.m, s: s, recv: a.recv}
			w.socks = append(w.socks, at)
			if w.poll != nil {
				if err := w.poll.add(s); err != nil {
					w.log.Error("poll media socket", "socket", s.Local().String(), "err", err)
				}
				w.byKey[s.key()] = at
			}
		}
	}
}

// shutdown detaches every member as the pool closes.
func (w *Worker) shutdown() {
	for _, a := range w.takePending() {
		w.members = append(w.members, a.m)
	}
	for _, m := range w.members {
		w.detach(m)
	}
	w.members, w.socks = nil, nil
	if w.poll != nil {
		w.poll.close()
	}
}
