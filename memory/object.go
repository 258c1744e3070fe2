package memory

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/anyio-go/anyio/stream"
)

var (
	_ stream.ObjectSender[int]   = (*SendStream[int])(nil)
	_ stream.ObjectReceiver[int] = (*ReceiveStream[int])(nil)
)

// Unbounded, passed as the buffer size to NewObjectStream or NewObjectPipe,
// makes a stream whose buffer has no limit: Send never blocks. It is also the
// MaxBufferSize that Statistics reports for such a stream.
const Unbounded = -1

// objectState is what the two ends of an object stream, and all their
// clones, share. One mutex guards all of it, including the closed flags of
// the ends.
//
// Invariants while the mutex is not held: receivers wait only when the buffer
// is empty and no live sender waits; senders wait only when the buffer is
// full (for a rendezvous stream, always full) and no live receiver waits.
// Waiters whose context has ended may linger in a queue until their call
// takes the mutex to leave, or until a peer skips them.
type objectState[T any] struct {
	mu            sync.Mutex
	buf           ring[T]       // the buffer of a bounded stream
	backlog       chunkQueue[T] // the buffer of an unbounded stream
	max           int           // buffer limit, or Unbounded
	openSenders   int
	openReceivers int
	senders       waitQueue[T] // blocked Sends, each holding its item
	receivers     waitQueue[T] // blocked Receives
	pool          sync.Pool    // recycled *waiter[T]
}

// NewObjectStream returns the two ends of a new object stream carrying values
// of type T. bufferSize is the number of items the stream holds for its
// receivers: 0 makes a rendezvous stream, where Send returns once a receiver
// has taken the item, and Unbounded lifts the limit, so that Send never
// blocks. Any other negative size panics.
//
// The stream ends when every send end is closed (receivers then drain the
// buffer and get io.EOF) or when every receive end is closed (senders then get
// stream.ErrBroken and the buffered items are dropped). Close both ends when
// done; an end that is merely forgotten keeps its peers waiting.
func NewObjectStream[T any](bufferSize int) (*SendStream[T], *ReceiveStream[T]) {
	if bufferSize < 0 && bufferSize != Unbounded {
		panic(fmt.Sprintf("memory: invalid buffer size %d (use Unbounded for no limit)", bufferSize))
	}
	st := &objectState[T]{max: bufferSize, openSenders: 1, openReceivers: 1}
	st.pool.New = newWaiter[T]
	return &SendStream[T]{st: st}, &ReceiveStream[T]{st: st}
}

// SendStream is the sending end of an object stream made by NewObjectStream.
// It is safe for concurrent use by any number of goroutines; Clone makes
// further ends that can be closed independently.
type SendStream[T any] struct {
	st     *objectState[T]
	closed bool // guarded by st.mu
}

// Send delivers item to the stream: to the longest-waiting receiver if one is
// blocked, else into the buffer, else it blocks until a receiver takes the
// item or there is room. A nil error means the item was delivered (or
// buffered); any error means it was not and never will be. Send returns
//
//   - stream.ErrClosed if this end was closed, also when Close is called
//     while Send is blocked;
//   - stream.ErrBroken once every receive end is closed;
//   - the context's error, wrapped, if ctx ends first; an already-ended ctx
//     fails the call even when the item could be delivered at once.
func (s *SendStream[T]) Send(ctx context.Context, item T) error {
	if err := ctx.Err(); err != nil {
		return opError("send", err)
	}
	st := s.st
	st.lock()
	if peer, done, err := st.offer(s, item); done {
		st.mu.Unlock()
		peer.notify()
		return err
	}
	w := st.block(ctx, &st.senders, s)
	w.item = item
	st.mu.Unlock()
	_, err := st.wait(ctx, w, &st.senders, "send")
	return err
}

// TrySend delivers item like Send if it can do so at once, and otherwise
// returns stream.ErrWouldBlock without delivering it. It never blocks, and
// returns stream.ErrClosed and stream.ErrBroken as Send does.
func (s *SendStream[T]) TrySend(item T) error {
	st := s.st
	st.lock()
	peer, done, err := st.offer(s, item)
	st.mu.Unlock()
	peer.notify()
	if !done {
		return errSendWouldBlock
	}
	return err
}

// Clone returns a new send end of the same stream. Receivers see io.EOF
// only once every send end, clones included, is closed. Cloning a closed end
// returns stream.ErrClosed.
func (s *SendStream[T]) Clone() (*SendStream[T], error) {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.closed {
		return nil, errCloneClosed
	}
	st.openSenders++
	return &SendStream[T]{st: st}, nil
}

// Close closes this send end. Send calls blocked on it return
// stream.ErrClosed and their items are not delivered; blocked calls on other
// clones are not affected. Once every send end is closed, receivers drain the
// buffer and then get io.EOF. Close is idempotent and never blocks.
func (s *SendStream[T]) Close() error {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	st.openSenders--
	st.senders.resolveOwned(s, errSendClosed)
	if st.openSenders == 0 {
		// Receivers wait only on an empty buffer, so they are done.
		st.receivers.resolveAll(io.EOF)
	}
	return nil
}

// Statistics returns a snapshot of the stream's state.
func (s *SendStream[T]) Statistics() Statistics {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.statistics()
}

// ReceiveStream is the receiving end of an object stream made by
// NewObjectStream. It is safe for concurrent use by any number of goroutines,
// which are served first come, first served; Clone makes further ends that
// can be closed independently.
type ReceiveStream[T any] struct {
	st     *objectState[T]
	closed bool // guarded by st.mu
}

// Receive returns the next item, blocking until one is available. Items are
// returned in the order they were sent, and blocked receivers are served in
// the order they arrived. Receive returns
//
//   - io.EOF, unwrapped, once every send end is closed and the buffer is
//     drained;
//   - stream.ErrClosed if this end was closed, even with items left, also
//     when Close is called while Receive is blocked;
//   - the context's error, wrapped, if ctx ends first; no item is consumed
//     then. An already-ended ctx fails the call even when an item is ready.
//     An item handed over just before ctx ended is returned with a nil
//     error, never dropped.
func (r *ReceiveStream[T]) Receive(ctx context.Context) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, opError("receive", err)
	}
	st := r.st
	st.lock()
	if item, peer, done, err := st.take(r); done {
		st.mu.Unlock()
		peer.notify()
		return item, err
	}
	w := st.block(ctx, &st.receivers, r)
	st.mu.Unlock()
	return st.wait(ctx, w, &st.receivers, "receive")
}

// TryReceive returns the next item like Receive if one is available at once,
// and otherwise returns stream.ErrWouldBlock. It returns io.EOF and
// stream.ErrClosed as Receive does.
func (r *ReceiveStream[T]) TryReceive() (T, error) {
	st := r.st
	st.lock()
	item, peer, done, err := st.take(r)
	st.mu.Unlock()
	peer.notify()
	if !done {
		return item, errReceiveWouldBlock
	}
	return item, err
}

// Clone returns a new receive end of the same stream. Senders see
// stream.ErrBroken only once every receive end, clones included, is closed.
// Cloning a closed end returns stream.ErrClosed.
func (r *ReceiveStream[T]) Clone() (*ReceiveStream[T], error) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.closed {
		return nil, errCloneClosed
	}
	st.openReceivers++
	return &ReceiveStream[T]{st: st}, nil
}

// Close closes this receive end. Receive calls blocked on it return
// stream.ErrClosed; blocked calls on other clones are not affected. Once
// every receive end is closed, the buffered items are dropped and senders,
// blocked or not, get stream.ErrBroken. Close is idempotent and never blocks.
func (r *ReceiveStream[T]) Close() error {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	st.openReceivers--
	st.receivers.resolveOwned(r, errReceiveClosed)
	if st.openReceivers == 0 {
		st.senders.resolveAll(errSendBroken)
		st.buf.clear()
		st.backlog.clear()
	}
	return nil
}

// isClosed reports whether this end was closed.
func (r *ReceiveStream[T]) isClosed() bool {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.closed
}

// Statistics returns a snapshot of the stream's state.
func (r *ReceiveStream[T]) Statistics() Statistics {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return r.st.statistics()
}

// lockSpins is how many times Send and Receive try st.mu before they yield.
// A contended mutex is usually free again within that many tries, as every
// critical section is a few dozen nanoseconds. Waiting at once is far
// dearer: sync.Mutex does not spin while other goroutines are ready to run
// on the caller's processor, so with more goroutines than processors a
// contended Lock puts its caller to sleep, and a convoy of callers put to
// sleep and woken one by one costs more than the spinning it saves. Spinning
// much longer costs too: every failed try pulls the mutex's cache line away
// from the processor that holds it (4 producers and 4 consumers on two
// processors: ≈80 ns per item with 3–20 tries, ≈95 ns with 50, ≈160 ns with
// 200, ≈350 ns with none).
const lockSpins = 10

// lockYields is how many times, after spinning, the data path (Send,
// Receive, TrySend, TryReceive) lets other goroutines run (the holder of
// st.mu among them, when it was preempted) before it goes to sleep on the
// mutex.
const lockYields = 4

// lock locks st.mu for the data path, spinning briefly first.
func (st *objectState[T]) lock() {
	for range lockSpins {
		if st.mu.TryLock() {
			return
		}
	}
	for range lockYields {
		runtime.Gosched()
		if st.mu.TryLock() {
			return
		}
	}
	st.mu.Lock()
}

// offer delivers item from s if that can be done without blocking, and
// reports whether the call is over and with which error. A non-nil peer is a
// blocked receiver that was handed the item; the caller wakes it with notify
// once it has released st.mu, which it holds during the call.
func (st *objectState[T]) offer(s *SendStream[T], item T) (peer *waiter[T], done bool, err error) {
	switch {
	case s.closed:
		return nil, true, errSendClosed
	case st.openReceivers == 0:
		return nil, true, errSendBroken
	}
	if w := st.receivers.popLive("receive"); w != nil {
		w.item = item
		w.settle(nil)
		return w, true, nil
	}
	if st.max == Unbounded {
		st.backlog.push(item)
		return nil, true, nil
	}
	if st.buf.len() < st.max {
		st.buf.push(item, st.max)
		return nil, true, nil
	}
	return nil, false, nil
}

// take receives an item for r if that can be done without blocking, and
// reports whether the call is over and with which result. A non-nil peer is
// a blocked sender whose item was taken (or moved into the buffer); the
// caller wakes it with notify once it has released st.mu, which it holds
// during the call.
func (st *objectState[T]) take(r *ReceiveStream[T]) (item T, peer *waiter[T], done bool, err error) {
	if r.closed {
		return item, nil, true, errReceiveClosed
	}
	if st.max == Unbounded {
		if st.backlog.len() > 0 {
			// Senders never wait on an unbounded stream.
			return st.backlog.pop(), nil, true, nil
		}
	} else if st.buf.len() > 0 {
		item = st.buf.pop()
		// A slot is free: the longest-waiting sender's item moves in.
		if peer = st.senders.popLive("send"); peer != nil {
			st.buf.push(peer.item, st.max)
			peer.settle(nil)
		}
		return item, peer, true, nil
	}
	// Rendezvous: take the item straight from a blocked sender.
	if peer = st.senders.popLive("send"); peer != nil {
		item = peer.item
		peer.settle(nil)
		return item, peer, true, nil
	}
	if st.openSenders == 0 {
		return item, nil, true, io.EOF
	}
	return item, nil, false, nil
}

// block queues a waiter for a call on owner with context ctx. The caller
// holds st.mu.
func (st *objectState[T]) block(ctx context.Context, q *waitQueue[T], owner any) *waiter[T] {
	w := st.pool.Get().(*waiter[T])
	w.ctx, w.owner = ctx, owner
	q.push(w)
	return w
}

// wait blocks until w, queued in q by a call named op, is settled or ctx
// ends, and returns the outcome. When both happen at once the mutex decides:
// a waiter already settled keeps its outcome (an item handed to a receiver is
// returned, a sender's item counts as delivered); otherwise the call leaves
// the queue with the context's error, so nothing is lost or delivered twice.
func (st *objectState[T]) wait(ctx context.Context, w *waiter[T], q *waitQueue[T], op string) (T, error) {
	if done := ctx.Done(); done == nil {
		<-w.wake // a context that never ends: skip the select
	} else {
		select {
		case <-w.wake:
		case <-done:
			st.mu.Lock()
			if !w.resolved {
				q.remove(w)
				st.mu.Unlock()
				st.release(w)
				var zero T
				return zero, opError(op, ctx.Err())
			}
			st.mu.Unlock()
			<-w.wake // settled: the token is on its way
		}
	}
	item, err := w.item, w.err
	st.release(w)
	return item, err
}

// release returns a finished waiter to the pool.
func (st *objectState[T]) release(w *waiter[T]) {
	w.reset()
	st.pool.Put(w)
}
