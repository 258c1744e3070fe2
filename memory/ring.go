package memory

import (
	"math/bits"
	"weak"
)

// ring is the FIFO buffer of an object stream: a circular slice whose length
// is a power of two, grown by doubling as items arrive. A ring that shrinks
// (the buffer of an unbounded stream) also halves its storage once it is at
// most a quarter full, so a burst does not pin its peak memory for the life of
// the stream; the hysteresis between growing at full and shrinking at a
// quarter keeps the cost of resizing amortised O(1) per item.
//
// A backlog that keeps coming back, though, would have a shrinking ring
// allocate its way up to the same sizes again and again, each time zeroing
// fresh memory and copying into it, and the garbage collector clear up after
// it. So a shrinking ring keeps the storage it gives up, emptied, among its
// spares, one per size, and takes it back when it next needs that size. It
// holds spares weakly: the next garbage collection reclaims those not taken
// back by then, so they do not pin memory either.
//
// The zero value is an empty ring that never shrinks. It is not safe for
// concurrent use; the stream's mutex guards it.
type ring[T any] struct {
	items  []T             // store.items; len(items) is 0 or a power of two
	store  *ringStorage[T] // nil while there is no storage
	head   int             // index of the oldest item
	n      int             // number of items
	shrink bool

	// spares[k] is, weakly, the given-up storage of size 1<<k. Allocated
	// when a shrinking ring first gives storage up.
	spares *[bits.UintSize]weak.Pointer[ringStorage[T]]
}

// ringStorage boxes the storage of a ring, so that a weak pointer can hold
// it.
type ringStorage[T any] struct{ items []T }

// Storage sizes: the first allocation holds minRingSize items, and a
// shrinking ring never goes below shrinkFloor, so a stream that carries a
// steady trickle does not reallocate at all.
const (
	minRingSize = 8
	shrinkFloor = 64
)

func (r *ring[T]) len() int { return r.n }

// push appends v at the tail.
func (r *ring[T]) push(v T) {
	if r.n == len(r.items) {
		r.resize(max(minRingSize, 2*len(r.items)))
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
	if r.shrink && len(r.items) > shrinkFloor && r.n <= len(r.items)/4 {
		r.resize(len(r.items) / 2)
	}
	return v
}

// clear drops every item and releases the storage, spares included.
func (r *ring[T]) clear() {
	r.items, r.store, r.head, r.n, r.spares = nil, nil, 0, 0, nil
}

// resize moves the items, oldest first, into storage of size size.
func (r *ring[T]) resize(size int) {
	store := r.spare(size)
	if store == nil {
		store = &ringStorage[T]{items: make([]T, size)}
	}
	first := r.items[r.head:min(r.head+r.n, len(r.items))]
	rest := r.items[:r.n-len(first)] // what wrapped around
	k := copy(store.items, first)
	copy(store.items[k:], rest)
	if r.shrink && r.store != nil {
		// Slots without an item are zero already (pop sees to it), so
		// clearing the moved items empties the storage: it keeps nothing
		// alive as a spare.
		clear(first)
		clear(rest)
		r.keepSpare(r.store)
	}
	r.items, r.store, r.head = store.items, store, 0
}

// spare takes back the spare of size size, if the ring has one and the
// garbage collector has not reclaimed it.
func (r *ring[T]) spare(size int) *ringStorage[T] {
	if r.spares == nil {
		return nil
	}
	k := bits.TrailingZeros(uint(size))
	store := r.spares[k].Value()
	r.spares[k] = weak.Pointer[ringStorage[T]]{}
	return store
}

// keepSpare keeps store, emptied storage the ring is giving up, weakly for
// the next time the ring needs its size.
func (r *ring[T]) keepSpare(store *ringStorage[T]) {
	if r.spares == nil {
		r.spares = new([bits.UintSize]weak.Pointer[ringStorage[T]])
	}
	r.spares[bits.TrailingZeros(uint(len(store.items)))] = weak.Make(store)
}
