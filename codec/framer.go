package codec

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/internal/relabel"
	"github.com/anyio-go/anyio/stream"
)

// Operation names used in error messages.
const (
	opReceive    = "receive"
	opSend       = "send"
	opCloseWrite = "close write"
)

// framer is what Lines and LengthPrefixed share: the buffered byte stream
// they frame, the send slot (the receive side uses the buffered stream's),
// close state, and the errors that break each direction.
type framer struct {
	name string // for error messages: "lines", "length-prefixed"
	bs   *buffered.Stream
	out  stream.ByteStream // where sends go: the wrapped stream itself

	closed      atomic.Bool
	writeClosed atomic.Bool

	// The receive side is serialised by the buffered stream's receive slot,
	// held for a whole Receive.
	recvErr error // guarded by the receive slot: set once the framing is lost

	send    busy.Guard
	sendErr error  // guarded by send: set once a partial item may have gone
	sendBuf []byte // guarded by send: reused to send an item in one piece
}

// newFramer wraps s, reusing its buffer when it already is a buffered
// stream so that bytes it holds (fed or read ahead) are not lost.
func newFramer(name string, s stream.ByteStream) framer {
	bs, ok := s.(*buffered.Stream)
	if !ok {
		bs = buffered.NewStream(s)
	}
	return framer{name: name, bs: bs, out: s}
}

// beginReceive checks that a Receive may start and takes the buffered
// stream's receive slot; the caller releases it.
func (f *framer) beginReceive(ctx context.Context) (buffered.Slot, error) {
	if f.closed.Load() {
		return buffered.Slot{}, f.fail(opReceive, stream.ErrClosed)
	}
	slot, err := f.bs.Acquire(ctx)
	if err != nil {
		return slot, f.fail(opReceive, err)
	}
	if f.recvErr != nil {
		slot.Release()
		return buffered.Slot{}, f.recvErr
	}
	return slot, nil
}

// breakReceive records that the framing is lost and returns the error every
// later Receive repeats.
func (f *framer) breakReceive(cause error) error {
	f.recvErr = f.fail(opReceive, stream.Broken(cause))
	return f.recvErr
}

// enterSend takes the send slot if the stream is open for sending and no
// other Send holds the slot. Sends call it, after checking ctx, on their
// fast path, where it inlines; when either check fails, beginSend tells why.
// The caller still checks sendErr.
func (f *framer) enterSend() bool {
	return !f.closed.Load() && !f.writeClosed.Load() && f.send.TryAcquire()
}

// beginSend checks that a Send may start and takes the send slot; the
// caller releases it.
func (f *framer) beginSend(ctx context.Context) error {
	if f.closed.Load() || f.writeClosed.Load() {
		return f.fail(opSend, stream.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return f.fail(opSend, err)
	}
	if !f.send.TryAcquire() {
		return f.fail(opSend, stream.ErrBusy)
	}
	if f.sendErr != nil {
		f.send.Release()
		return f.fail(opSend, f.sendErr)
	}
	return nil
}

// write sends p on the transport. Once a write has failed, part of an item
// may have gone, so the peer can no longer find the item boundaries: the
// send side is broken from then on. Only a refusal that sent nothing
// (another sender busy on the transport) leaves it intact.
func (f *framer) write(ctx context.Context, p []byte) error {
	if err := f.out.Send(ctx, p); err != nil {
		return f.sendFailed(err)
	}
	return nil
}

// sendFailed records what a failed transport Send means for the framing
// and returns the error for the caller.
func (f *framer) sendFailed(err error) error {
	// ErrBusy: nothing went, the transport refused the call outright.
	if !errors.Is(err, stream.ErrBusy) {
		f.sendErr = stream.Broken(relabel.SendCause(err))
	}
	return f.fail(opSend, err)
}

// Close closes the wrapped stream; every later call returns
// stream.ErrClosed, and calls blocked in the transport are woken by it.
func (f *framer) Close() error {
	f.closed.Store(true)
	return f.bs.Close()
}

// CloseWrite passes the half-close down to the wrapped stream; later Sends
// return stream.ErrClosed. It shares the send slot, so it returns
// stream.ErrBusy while a Send is in progress. It is idempotent.
func (f *framer) CloseWrite() error {
	if f.closed.Load() {
		return f.fail(opCloseWrite, stream.ErrClosed)
	}
	if !f.send.TryAcquire() {
		return f.fail(opCloseWrite, stream.ErrBusy)
	}
	defer f.send.Release()
	if f.writeClosed.Load() {
		return nil
	}
	// The send slot is held, so no Send can slip in before writeClosed is
	// set; it is set only once the half-close happened (or cannot be
	// retried): a refusal with ErrBusy changed nothing.
	err := f.bs.CloseWrite()
	if err == nil || !errors.Is(err, stream.ErrBusy) {
		f.writeClosed.Store(true)
	}
	if err != nil {
		return f.fail(opCloseWrite, err)
	}
	return nil
}

// Extra forwards attribute queries to the wrapped stream.
func (f *framer) Extra(key any) (any, bool) {
	return f.bs.Extra(key)
}

// fail wraps err with the codec's name and the operation.
func (f *framer) fail(op string, err error) error {
	return fmt.Errorf("codec: %s: %s: %w", f.name, op, err)
}
