package deadline

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio/stream"
)

// Slot states.
const (
	slotFree    = 0
	slotHeld    = 1
	slotWaiters = 2 // held, and some caller may be queued for it
)

// slot admits one holder at a time, like a mutex whose waiters can give up
// when their context ends or the socket closes. An uncontended take and
// release are one compare-and-swap each; queued callers are served in
// order, each handed the slot directly by the releasing holder.
type slot struct {
	state atomic.Int32

	mu      sync.Mutex      // guards waiters
	waiters []chan struct{} // FIFO; a queued caller's channel is closed when it is handed the slot
}

// take waits for the slot until ctx ends or closing is closed.
func (s *slot) take(ctx context.Context, closing <-chan struct{}) error {
	if s.state.CompareAndSwap(slotFree, slotHeld) {
		return nil
	}
	return s.takeSlow(ctx, closing)
}

// takeSlow is take once the slot was found held: it queues the caller and
// waits to be handed the slot.
func (s *slot) takeSlow(ctx context.Context, closing <-chan struct{}) error {
	s.mu.Lock()
	// Mark the slot as having waiters (or take it, if it came free), under
	// the mutex: from then on the holder's release takes the slow path and
	// finds the queue.
	for {
		st := s.state.Load()
		if st == slotFree {
			if s.state.CompareAndSwap(slotFree, slotHeld) {
				s.mu.Unlock()
				return nil
			}
			continue
		}
		if st == slotWaiters || s.state.CompareAndSwap(slotHeld, slotWaiters) {
			break
		}
	}
	ch := make(chan struct{})
	s.waiters = append(s.waiters, ch)
	s.mu.Unlock()

	var err error
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-closing:
		err = stream.ErrClosed
	}
	if slotGiveUpHook != nil {
		slotGiveUpHook()
	}
	s.mu.Lock()
	if i := slices.Index(s.waiters, ch); i >= 0 {
		s.waiters = slices.Delete(s.waiters, i, i+1)
		if len(s.waiters) == 0 {
			// Nobody waits any more: the holder's release may take
			// the fast path again.
			s.waiters = nil
			s.state.Store(slotHeld)
		}
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	// Handed the slot while giving up: pass it on.
	s.release()
	return err
}

// slotGiveUpHook, when set (by tests only), runs after a queued caller has
// given up and before it leaves the queue.
var slotGiveUpHook func()

// release frees the slot, handing it to the first queued caller if any.
func (s *slot) release() {
	if s.state.CompareAndSwap(slotHeld, slotFree) {
		return
	}
	s.mu.Lock()
	if len(s.waiters) == 0 {
		s.state.Store(slotFree)
		s.mu.Unlock()
		return
	}
	ch := s.waiters[0]
	s.waiters[0] = nil
	s.waiters = s.waiters[1:]
	if len(s.waiters) == 0 {
		s.waiters = nil
		s.state.Store(slotHeld) // the new holder's release may take the fast path
	}
	s.mu.Unlock()
	close(ch)
}
