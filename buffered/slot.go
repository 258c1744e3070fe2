package buffered

import (
	"context"

	"github.com/anyio-go/anyio/stream"
)

// Slot is a Receiver's receive slot, held: its reads are the Receiver's,
// without taking and releasing the slot on every call. A protocol layer
// that reads a message as several reads in a row (a header, then the
// payload it announces) holds the slot for the whole message, so that no
// other reader can get in between and the reads cost no synchronisation.
//
// A Slot is obtained from Receiver.Acquire and must be released with
// Release; it is used by one goroutine at a time, and not after Release.
// Its reads behave exactly as the Receiver's (end of stream, limits,
// cancellation, views and their validity), except that they do not check
// ctx before serving buffered bytes: the ctx is consulted only when the
// transport is read, so a message whose first read succeeded can be
// finished from the buffer. After the Receiver is closed they return
// stream.ErrClosed.
type Slot struct {
	r *Receiver
}

// Acquire takes r's receive slot and returns it held. It fails, without
// blocking, with stream.ErrBusy while another read holds the slot,
// stream.ErrClosed after Close, and the ctx error when ctx is already done.
// While the Slot is held, r's own reads return stream.ErrBusy, and Feed and
// Buffered panic; use the Slot's methods.
func (r *Receiver) Acquire(ctx context.Context) (Slot, error) {
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, "acquire"); err != nil {
			return Slot{}, err
		}
	}
	return Slot{r}, nil
}

// Release gives the receive slot back.
func (s Slot) Release() { s.r.guard.Release() }

// ReceiveExactly is Receiver.ReceiveExactly on the held slot.
func (s Slot) ReceiveExactly(ctx context.Context, n int) ([]byte, error) {
	checkCount(n)
	if s.r.closed.Load() {
		return nil, opError(opReceiveExactly, stream.ErrClosed)
	}
	return s.r.exactly(ctx, n)
}

// ReceiveExactlyView is Receiver.ReceiveExactlyView on the held slot.
func (s Slot) ReceiveExactlyView(ctx context.Context, n int) ([]byte, error) {
	checkCount(n)
	if s.r.closed.Load() {
		return nil, opError(opReceiveExactly, stream.ErrClosed)
	}
	return s.r.exactlyView(ctx, n)
}

// ReceiveUntil is Receiver.ReceiveUntil on the held slot.
func (s Slot) ReceiveUntil(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	v, err := s.ReceiveUntilView(ctx, delim, maxBytes)
	return clone(v), err
}

// ReceiveUntilView is Receiver.ReceiveUntilView on the held slot.
func (s Slot) ReceiveUntilView(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	checkDelim(delim)
	if s.r.closed.Load() {
		return nil, opError(opReceiveUntil, stream.ErrClosed)
	}
	maxBytes = max(maxBytes, 0)
	if v, ok := s.r.record(delim, maxBytes); ok {
		return v, nil
	}
	return s.r.untilMore(ctx, delim, maxBytes)
}

// Buffered is Receiver.Buffered on the held slot: a copy of the bytes
// buffered and not yet consumed.
func (s Slot) Buffered() []byte { return s.r.buffered() }

// BufferedLen returns how many bytes are buffered and not yet consumed;
// a read of that many bytes is served without touching the transport.
func (s Slot) BufferedLen() int { return s.r.w - s.r.r }

// BufferedView is Buffered without the copy: the bytes buffered and not yet
// consumed, as a view of r's buffer, empty when there are none. It never
// reads from the transport and consumes nothing. Together with Discard it
// lets a protocol layer decode a message that is already buffered in one
// step, without a read call per field. The view is valid, like the views
// the reads return, until the next read or Discard on the slot; its
// capacity equals its length.
func (s Slot) BufferedView() []byte { return s.r.buf[s.r.r:s.r.w:s.r.w] }

// Discard consumes the first n buffered bytes, as a read of n bytes would,
// without reading from the transport. It panics if n is negative or more
// than BufferedLen.
func (s Slot) Discard(n int) {
	if n < 0 || n > s.r.w-s.r.r {
		panic("buffered: Slot.Discard beyond the buffered bytes")
	}
	s.r.consume(n)
}
