// Package buffered adds a read buffer to any byte receiver, for protocols
// that need more than "some bytes": exactly n bytes (a length header, a
// fixed-size record) or everything up to a delimiter (a line). It is the Go
// counterpart of anyio's BufferedByteReceiveStream.
//
// A Receiver never loses data. Bytes read from the transport that a call
// could not use — because it was cancelled, because the stream ended in the
// middle of a record, or because a delimiter was not found within the limit —
// stay in the buffer and are served first by the next read. Memory is bounded
// by what the caller asks for: ReceiveExactly(ctx, n) buffers at most n
// bytes, ReceiveUntil(ctx, delim, maxBytes) at most maxBytes (plus a small
// constant read-ahead of 4 KiB).
//
// Hot paths avoid copies and per-call costs: ReceiveUntilView and
// ReceiveExactlyView return slices of the internal buffer instead of new
// ones, SplitSeq iterates over delimited records holding the receive slot
// for the whole loop, and Acquire hands a protocol layer the receive slot
// for a sequence of reads that form one message. Taking and releasing the
// slot costs two atomic read-modify-write instructions, about as much as
// finding a short line in the buffer: a loop over 60-byte lines runs about
// twice as fast through SplitSeq or a held Slot as through one
// ReceiveUntilView call per line.
package buffered

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/stream"
)

// defaultSize is the size of the buffer allocated on the first read that
// needs one. It also decides when ReceiveExactly bypasses the buffer: reads
// at least this large go straight into the caller's slice.
const defaultSize = 4096

var (
	// ErrDelimiterNotFound is returned (wrapped) by ReceiveUntil when the
	// delimiter does not lie wholly within the first maxBytes bytes. The
	// bytes examined stay buffered.
	ErrDelimiterNotFound = errors.New("buffered: delimiter not found")

	// ErrIncompleteRead is returned (wrapped) by ReceiveExactly and
	// ReceiveUntil when the stream ends after some, but not all, of the bytes
	// they need arrived. The partial bytes stay buffered (see
	// Receiver.Buffered). errors.Is(err, io.ErrUnexpectedEOF) holds for it,
	// as io.ReadFull would report.
	ErrIncompleteRead = fmt.Errorf("buffered: incomplete read: %w", io.ErrUnexpectedEOF)
)

// Operation names used in error messages.
const (
	opReceive        = "receive"
	opReceiveExactly = "receive exactly"
	opReceiveUntil   = "receive until"
)

// Receiver is a byte receiver with a read buffer. It implements
// stream.ByteReceiver, and adds ReceiveExactly, ReceiveUntil, their
// zero-copy View forms, Buffered and Feed.
//
// Like every byte receiver it has one receive slot: all reads, Feed and
// Buffered take it, and a read that finds it taken returns stream.ErrBusy
// (Feed and Buffered panic: they cannot report an error). Acquire and
// SplitSeq hold it across several reads. Close may be called at any time
// from any goroutine; Extra is safe for concurrent use.
type Receiver struct {
	src    stream.ByteReceiver
	guard  busy.Guard
	closed atomic.Bool

	// Owned by the holder of guard. The buffered bytes are buf[r:w]; len(buf)
	// is the capacity in use.
	buf     []byte
	r, w    int
	partial bool // buf is the partial result of a large ReceiveExactly
}

var _ stream.ByteReceiver = (*Receiver)(nil)

// NewReceiver returns a Receiver reading from r. The Receiver owns r from
// then on: reading r directly would bypass the buffer.
func NewReceiver(r stream.ByteReceiver) *Receiver {
	return &Receiver{src: r}
}

// Receive reads at least 1 and at most len(p) bytes. Buffered bytes are
// returned first, without touching the transport; when the buffer is empty
// it reads from the transport straight into p. At end of stream, with
// nothing buffered, it returns (0, io.EOF). With len(p) == 0 it returns
// (0, nil) at once (or stream.ErrClosed after Close). A cancelled ctx ends a
// blocked Receive with the ctx error and loses nothing.
func (r *Receiver) Receive(ctx context.Context, p []byte) (int, error) {
	if r.closed.Load() {
		return 0, opError(opReceive, stream.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, opReceive); err != nil {
			return 0, err
		}
	}
	if r.w > r.r {
		n := copy(p, r.buf[r.r:r.w])
		r.consume(n)
		r.guard.Release() // no defer: nothing above can panic
		return n, nil
	}
	defer r.guard.Release()
	return r.src.Receive(ctx, p)
}

// Buffered returns a copy of the bytes received from the transport (or fed)
// and not yet consumed, nil when there are none or r is closed. After
// ErrIncompleteRead or ErrDelimiterNotFound these are the bytes the failed
// read left behind.
//
// Buffered is part of the receive side: it panics when called while another
// goroutine is inside a read on r. Racing with Close, it returns nil.
func (r *Receiver) Buffered() []byte {
	if !r.enterSync("Buffered") {
		return nil
	}
	defer r.guard.Release()
	if r.closed.Load() {
		r.buf, r.r, r.w, r.partial = nil, 0, 0, false // what Close could not release
		return nil
	}
	return r.buffered()
}

func (r *Receiver) buffered() []byte {
	if r.w == r.r {
		return nil
	}
	return append([]byte(nil), r.buf[r.r:r.w]...)
}

// Feed appends a copy of p to the buffer, after any bytes already buffered
// and before anything the transport delivers later: the next reads see the
// fed bytes as if they had just arrived. Feed after Close discards p.
//
// Feed is part of the receive side: it panics when called while another
// goroutine is inside a read on r. Racing with Close, it discards p.
func (r *Receiver) Feed(p []byte) {
	if len(p) == 0 {
		return
	}
	if !r.enterSync("Feed") {
		return
	}
	defer r.guard.Release()
	if r.closed.Load() {
		r.buf, r.r, r.w, r.partial = nil, 0, 0, false // what Close could not release
		return
	}
	r.makeRoom(r.w-r.r+len(p), 0)
	r.w += copy(r.buf[r.w:], p)
}

// Close closes the transport and makes every later call on r return
// stream.ErrClosed; a read blocked on the transport is woken by the
// transport's own close error. Close is idempotent and returns what the
// transport's Close returns. The buffer is released unless a read is in
// progress.
func (r *Receiver) Close() error {
	r.closed.Store(true)
	err := r.src.Close()
	if r.guard.TryAcquire() {
		r.buf, r.r, r.w, r.partial = nil, 0, 0, false
		r.guard.Release()
	}
	return err
}

// Extra forwards attribute queries to the transport: a Receiver answers no
// attributes of its own.
func (r *Receiver) Extra(key any) (any, bool) {
	return stream.ForwardExtra(r.src, key)
}

// enter takes the receive slot if r is open and no other read holds it.
// Reads call it, after checking ctx, on their fast path, where it inlines;
// when either check fails, begin tells why.
func (r *Receiver) enter() bool {
	return !r.closed.Load() && r.guard.TryAcquire()
}

// begin checks that a read may start and takes the receive slot, returning
// the error that stops it otherwise. The caller releases the slot. Reads
// call it when their own checks (ctx, then enter) failed: it repeats them
// in the order that decides which error wins, and takes the slot if it has
// come free in between.
func (r *Receiver) begin(ctx context.Context, op string) error {
	if r.closed.Load() {
		return opError(op, stream.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return opError(op, err)
	}
	if !r.guard.TryAcquire() {
		return opError(op, stream.ErrBusy)
	}
	return nil
}

// enterSync takes the receive slot for a call that cannot report an error.
// It reports false, taking nothing, when the slot is held by a concurrent
// Close (which only holds it to release the buffer): the Receiver is closed
// then. A slot held by a read is a misuse, and panics.
func (r *Receiver) enterSync(method string) bool {
	if r.guard.TryAcquire() {
		return true
	}
	if r.closed.Load() {
		return false
	}
	panic("buffered: " + method + " called during a concurrent read")
}

// consume drops n buffered bytes. Resetting the indices of an empty buffer
// lets the next fill use all of it without sliding; it does not touch the
// bytes, so views handed out stay intact.
func (r *Receiver) consume(n int) {
	r.r += n
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
}

// makeRoom makes the buffer able to hold need bytes from r.r on, sliding the
// buffered bytes to the front and growing the buffer as needed. Growth is
// geometric but never beyond max(need, limit, defaultSize), which is what
// keeps memory bounded by what the caller asked for.
func (r *Receiver) makeRoom(need, limit int) {
	if r.r > 0 && len(r.buf)-r.r < need {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if len(r.buf)-r.r >= need {
		return
	}
	size := max(2*len(r.buf), defaultSize)
	size = max(min(size, max(limit, defaultSize)), need)
	nb := make([]byte, size)
	r.w = copy(nb, r.buf[r.r:r.w])
	r.r = 0
	r.buf, r.partial = nb, false
}

// fill reads once from the transport into the free space after the buffered
// bytes. want is how many bytes the caller may need buffered in all; the
// buffer is grown towards it only when it has no free space left. fill
// returns the transport's error, io.EOF included, unchanged.
func (r *Receiver) fill(ctx context.Context, want int) error {
	if r.r > 0 {
		// Sliding the unconsumed tail (usually a partial line or frame) to
		// the front keeps the whole buffer available for the read.
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		r.makeRoom(r.w+1, want)
	}
	n, err := r.src.Receive(ctx, r.buf[r.w:])
	r.w += n
	return err
}

// endError turns the end of the stream during a multi-byte read into the
// error io.ReadFull would give: io.EOF when nothing is buffered,
// ErrIncompleteRead when something is.
func (r *Receiver) endError(op string) error {
	if r.w == r.r {
		return io.EOF
	}
	return fmt.Errorf("buffered: %s: %w (%d bytes buffered)", op, ErrIncompleteRead, r.w-r.r)
}

func opError(op string, err error) error {
	return fmt.Errorf("buffered: %s: %w", op, err)
}
