package memory

import (
	"unsafe"
	"weak"
)

// chunkQueue is the FIFO buffer of an unbounded stream: a linked list of
// fixed-size chunks. Items are written once and read once; the queue never
// copies them to grow, and gives a chunk up as soon as its last item is
// read (keeping, when it runs empty, the one chunk it is in, unless that
// chunk is large), so its storage follows the backlog down after a burst as
// closely as it followed it up.
//
// A backlog that keeps coming back would have the queue allocate (and the
// garbage collector reclaim) the same chunks again and again. So the queue
// keeps the chunks it gives up as spares: a list linked through the chunks
// themselves, which the queue holds only by a weak pointer to its first
// chunk. The next burst takes them back unless a garbage collection has
// reclaimed them (all at once) in between, so they never pin the peak
// memory of a burst, and cost the queue one pointer. Once a burst finds its
// spares it allocates nothing, and so brings no collection about.
//
// The zero value is an empty queue. It is not safe for concurrent use; the
// stream's mutex guards it.
type chunkQueue[T any] struct {
	head, tail *chunk[T]              // nil while the queue has no storage
	hi, ti     int                    // next index to read in head, to write in tail
	n          int                    // number of items
	spares     weak.Pointer[chunk[T]] // first of the spare chunks
}

// chunk is a block of a chunkQueue's storage.
type chunk[T any] struct {
	items []T
	next  *chunk[T]
}

// Chunk sizes: about chunkBytes of items, within [minChunkLen,
// maxChunkLen] items.
const (
	chunkBytes  = 4 << 10
	minChunkLen = 1 // items of 4 KiB and more: a chunk each
	maxChunkLen = 1024
)

// chunkLen is how many items of type T a chunk holds.
func chunkLen[T any]() int {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if size == 0 {
		return maxChunkLen
	}
	return min(maxChunkLen, max(minChunkLen, chunkBytes/size))
}

func (q *chunkQueue[T]) len() int { return q.n }

// push appends v at the tail.
func (q *chunkQueue[T]) push(v T) {
	if q.tail == nil || q.ti == len(q.tail.items) {
		c := q.newChunk()
		if q.tail == nil {
			q.head, q.hi = c, 0
		} else {
			q.tail.next = c
		}
		q.tail, q.ti = c, 0
	}
	q.tail.items[q.ti] = v
	q.ti++
	q.n++
}

// pop removes and returns the item at the head. The queue must not be
// empty.
func (q *chunkQueue[T]) pop() T {
	c := q.head
	v := c.items[q.hi]
	var zero T
	c.items[q.hi] = zero // let the garbage collector have it
	q.hi++
	q.n--
	switch {
	case q.n == 0 && chunkLen[T]()*int(unsafe.Sizeof(zero)) > chunkBytes:
		// Empty, in a chunk too large to keep for an idle stream.
		q.head, q.tail, q.hi, q.ti = nil, nil, 0, 0
		q.giveUp(c)
	case q.n == 0:
		// Empty: the head is the tail; start over at its beginning.
		q.hi, q.ti = 0, 0
	case q.hi == len(c.items):
		q.head, q.hi = c.next, 0
		c.next = nil
		q.giveUp(c)
	}
	return v
}

// clear drops every item and releases the storage, spares included.
func (q *chunkQueue[T]) clear() {
	*q = chunkQueue[T]{}
}

// newChunk returns an empty chunk: a spare, if they are still there.
func (q *chunkQueue[T]) newChunk() *chunk[T] {
	if c := q.spares.Value(); c != nil {
		q.spares = weak.Pointer[chunk[T]]{}
		if c.next != nil {
			q.spares = weak.Make(c.next)
		}
		c.next = nil
		return c
	}
	return &chunk[T]{items: make([]T, chunkLen[T]())}
}

// giveUp keeps c, read to the end and so emptied, as the first spare.
func (q *chunkQueue[T]) giveUp(c *chunk[T]) {
	c.next = q.spares.Value()
	q.spares = weak.Make(c)
}

// chunks counts the chunks the queue holds, for tests.
func (q *chunkQueue[T]) chunks() int {
	k := 0
	for c := q.head; c != nil; c = c.next {
		k++
	}
	return k
}
