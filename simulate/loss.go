package simulate

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// wireLoss is an interceptor that drops outgoing RTP packets at random, as a
// lossy network would. Registered before the NACK responder, it sits below
// it: dropped packets are still in the responder's history, so the
// receiver's NACKs can recover them (and retransmissions may be dropped
// too).
type wireLoss struct {
	loss    float64
	seed    uint64
	dropped atomic.Int64
}

// NewInterceptor implements interceptor.Factory.
func (w *wireLoss) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &wireLossInterceptor{w: w, rng: rand.New(rand.NewPCG(w.seed, ^w.seed))}, nil
}

type wireLossInterceptor struct {
	interceptor.NoOp
	w   *wireLoss
	mu  sync.Mutex
	rng *rand.Rand
}

func (i *wireLossInterceptor) drop() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.rng.Float64() < i.w.loss
}

// BindLocalStream implements interceptor.Interceptor.
func (i *wireLossInterceptor) BindLocalStream(_ *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(header *rtp.Header, payload []byte, attrs interceptor.Attributes) (int, error) {
		if i.drop() {
			i.w.dropped.Add(1)
			return len(payload), nil
		}
		return writer.Write(header, payload, attrs)
	})
}
