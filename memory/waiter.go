package memory

import "context"

// waiter is a Send or Receive call blocked on an object stream. While it is
// queued it belongs to the stream and every field is guarded by the stream's
// mutex; whoever dequeues it (a peer handing over or taking an item, a Close,
// or the call itself giving up) settles it under that mutex.
//
// Settling sets item and err and marks the waiter resolved; then, usually
// once the mutex is released, one token goes into wake. The channel has room
// for that one token, so the settler never blocks, and the blocked call
// learns its outcome from the fields once the token arrives. Waiters are
// recycled through the stream's pool, so a blocking call allocates nothing.
type waiter[T any] struct {
	prev, next *waiter[T]
	wake       chan struct{} // capacity 1: the one token of a resolution

	ctx   context.Context // of the blocked call; a done one is skipped
	owner any             // the end the call was made on
	item  T               // being sent, or handed to a receiver
	err   error           // outcome once resolved

	resolved bool
}

// newWaiter is the pool's constructor.
func newWaiter[T any]() any {
	return &waiter[T]{wake: make(chan struct{}, 1)}
}

// reset clears w before it goes back to the pool, so the pool keeps no item,
// context or end alive.
func (w *waiter[T]) reset() {
	var zero T
	w.prev, w.next = nil, nil
	w.ctx, w.owner, w.item, w.err = nil, nil, zero, nil
	w.resolved = false
}

// waitQueue is a FIFO of waiters: a doubly linked list threaded through the
// waiters themselves, so that a call that gives up leaves from the middle in
// O(1). Guarded by the stream's mutex.
type waitQueue[T any] struct {
	head, tail *waiter[T]
	n          int
}

// push appends w at the tail.
func (q *waitQueue[T]) push(w *waiter[T]) {
	w.prev, w.next = q.tail, nil
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	q.n++
}

// remove unlinks w, which must be queued in q.
func (q *waitQueue[T]) remove(w *waiter[T]) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
	q.n--
}

// settle hands a dequeued waiter its outcome; a received item must already
// be in w.item. The caller holds the stream's mutex and, once it has let go
// of it, calls notify to wake the call: a woken call that runs at once on
// another processor then does not have to contend for the mutex.
func (w *waiter[T]) settle(err error) {
	w.err = err
	w.resolved = true
}

// notify wakes the call of a settled waiter. It never blocks: wake has room
// for the one token. A nil w is ignored.
func (w *waiter[T]) notify() {
	if w != nil {
		w.wake <- struct{}{}
	}
}

// resolve dequeues w, settles it with err and wakes its call at once. It is
// for the rare paths (close, a skipped waiter) where waking under the
// mutex costs nothing worth saving.
func (q *waitQueue[T]) resolve(w *waiter[T], err error) {
	q.remove(w)
	w.settle(err)
	w.notify()
}

// popLive dequeues and returns, unsettled, the oldest waiter whose context
// is still live, or nil when there is none. Waiters whose context is already
// done are resolved on the way with their context's error: they are never
// handed an item nor asked for one, since their callers have given up.
func (q *waitQueue[T]) popLive(op string) *waiter[T] {
	// An empty queue is the common case: small enough to be inlined, this
	// check keeps a call out of every critical section that finds one.
	if q.head == nil {
		return nil
	}
	return q.popLiveSlow(op)
}

// popLiveSlow is popLive for a queue that is not empty.
func (q *waitQueue[T]) popLiveSlow(op string) *waiter[T] {
	for w := q.head; w != nil; w = q.head {
		if err := w.ctx.Err(); err != nil {
			q.resolve(w, opError(op, err))
			continue
		}
		q.remove(w)
		return w
	}
	return nil
}

// resolveOwned resolves, with err, every waiter whose call was made on the
// end owner. Their items stay with them: a withdrawn Send is not delivered.
func (q *waitQueue[T]) resolveOwned(owner any, err error) {
	for w := q.head; w != nil; {
		next := w.next
		if w.owner == owner {
			q.resolve(w, err)
		}
		w = next
	}
}

// resolveAll resolves every waiter with err.
func (q *waitQueue[T]) resolveAll(err error) {
	for q.head != nil {
		q.resolve(q.head, err)
	}
}
