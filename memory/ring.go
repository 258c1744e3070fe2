package memory

// ring is the FIFO buffer of an object stream: a circular slice whose length
// is a power of two, grown by doubling as items arrive. A ring that shrinks
// (the buffer of an unbounded stream) also halves its storage once it is at
// most a quarter full, so a burst does not pin its peak memory for the life of
// the stream; the hysteresis between growing at full and shrinking at a
// quarter keeps the cost of resizing amortised O(1) per item.
//
// The zero value is an empty ring that never shrinks. It is not safe for
// concurrent use; the stream's mutex guards it.
type ring[T any] struct {
	items  []T // len(items) is 0 or a power of two
	head   int // index of the oldest item
	n      int // number of items
	shrink bool
}

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

// clear drops every item and releases the storage.
func (r *ring[T]) clear() {
	r.items, r.head, r.n = nil, 0, 0
}

// resize moves the items, oldest first, into fresh storage of size size.
func (r *ring[T]) resize(size int) {
	items := make([]T, size)
	if r.n > 0 {
		k := copy(items, r.items[r.head:min(r.head+r.n, len(r.items))])
		copy(items[k:], r.items[:r.n-k])
	}
	r.items, r.head = items, 0
}
