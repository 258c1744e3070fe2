package memory

import "math/bits"

// ring is the FIFO buffer of a bounded object stream: a circular slice whose
// length is a power of two, allocated as items first arrive and grown by
// doubling, so that a stream with a large limit that never fills costs
// little. Its size never passes the next power of two at or above the
// stream's limit, so it has no reason to shrink.
//
// The zero value is an empty ring. It is not safe for concurrent use; the
// stream's mutex guards it.
type ring[T any] struct {
	items []T // len(items) is 0 or a power of two
	head  int // index of the oldest item
	n     int // number of items
}

// minRingSize is the size of a ring's first storage, unless the stream's
// limit is smaller.
const minRingSize = 8

func (r *ring[T]) len() int { return r.n }

// push appends v at the tail of a ring that holds fewer than limit items.
func (r *ring[T]) push(v T, limit int) {
	if r.n == len(r.items) {
		r.resize(min(max(minRingSize, 2*len(r.items)), 1<<bits.Len(uint(limit-1))))
	}
	r.items[(r.head+r.n)&(len(r.items)-1)] = v
	r.n++
}

// pop removes and returns the item at the head. The ring must not be empty.
func (r *ring[T]) pop() T {
	v := r.items[r.head]
	var zero T
	r.items[r.head] = zero // let the garbage collector have it
	r.head = (r.head + 1) & (len(r.items) - 1)
	r.n--
	return v
}

// clear drops every item and releases the storage.
func (r *ring[T]) clear() {
	r.items, r.head, r.n = nil, 0, 0
}

// resize moves the items, oldest first, into new storage of size size.
func (r *ring[T]) resize(size int) {
	items := make([]T, size)
	first := r.items[r.head:min(r.head+r.n, len(r.items))]
	k := copy(items, first)
	copy(items[k:], r.items[:r.n-len(first)]) // what wrapped around
	r.items, r.head = items, 0
}
