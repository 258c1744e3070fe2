package memory

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/stream"
)

// NewBytePipe returns the two ends of an in-memory byte stream: what one end
// sends, the other receives. Each direction has its own buffer of bufferSize
// bytes. Send copies into it as much as fits and blocks while it is full, so
// a Send returns once all of its bytes are buffered or received. A bufferSize
// of 0 makes a synchronous pipe, like net.Pipe: the receiver copies straight
// from the sender's slice, and Send returns once the peer has taken every
// byte. A negative bufferSize panics.
//
// Both ends implement stream.ByteStream, including half-close.
func NewBytePipe(bufferSize int) (*BytePipeEnd, *BytePipeEnd) {
	if bufferSize < 0 {
		panic(fmt.Sprintf("memory: invalid byte pipe buffer size %d", bufferSize))
	}
	ab, ba := newPipeHalf(bufferSize), newPipeHalf(bufferSize)
	return &BytePipeEnd{out: ab, in: ba}, &BytePipeEnd{out: ba, in: ab}
}

var _ stream.ByteStream = (*BytePipeEnd)(nil)

// BytePipeEnd is one end of a pipe made by NewBytePipe. It allows one Receive
// and one Send at a time, which may run concurrently with each other; a
// second concurrent Receive, or a Send or CloseWrite concurrent with a Send,
// returns stream.ErrBusy. Close and CloseWithError may be called at any time
// from any goroutine.
type BytePipeEnd struct {
	in, out   *pipeHalf
	recvGuard busy.Guard
	sendGuard busy.Guard // shared by Send and CloseWrite
	closed    atomic.Bool
}

// Receive copies into p the bytes the peer sent, at least 1 and at most
// len(p), returning as soon as any are available. It returns
//
//   - io.EOF, unwrapped and from then on, once the peer has called
//     CloseWrite or Close and every byte sent before was received;
//   - stream.ErrBroken wrapping the cause, after the bytes already buffered,
//     once the peer has called CloseWithError;
//   - stream.ErrClosed once this end is closed, also when Close is called
//     while Receive is blocked;
//   - the context's error, wrapped, when ctx ends first. Nothing is consumed
//     then: the bytes stay for the next Receive.
//
// With len(p) == 0 it returns (0, nil) at once, or stream.ErrClosed. It never
// returns bytes together with an error, and it does not touch p after it
// returns.
func (e *BytePipeEnd) Receive(ctx context.Context, p []byte) (int, error) {
	if e.closed.Load() {
		return 0, errReceiveClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, opError("receive", err)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !e.recvGuard.TryAcquire() {
		return 0, errReceiveBusy
	}
	defer e.recvGuard.Release()
	return e.in.receive(ctx, p)
}

// Send sends all of p, blocking while the buffer is full (on a synchronous
// pipe, until the peer has received every byte). It does not keep p after it
// returns. It returns
//
//   - stream.ErrClosed after CloseWrite or Close on this end, also when
//     Close is called while Send is blocked;
//   - stream.ErrBroken, from then on, once the peer has closed its end
//     (wrapping the cause if it used CloseWithError);
//   - the context's error, wrapped, when ctx ends first. A prefix of p may
//     have gone to the peer then; the pipe stays consistent and usable.
//
// An empty p sends nothing and returns nil, or the errors above.
func (e *BytePipeEnd) Send(ctx context.Context, p []byte) error {
	if e.closed.Load() {
		return errSendClosed
	}
	if err := ctx.Err(); err != nil {
		return opError("send", err)
	}
	if !e.sendGuard.TryAcquire() {
		return errSendBusy
	}
	defer e.sendGuard.Release()
	return e.out.send(ctx, p)
}

// CloseWrite half-closes the pipe: the peer receives what was sent so far and
// then io.EOF, while this end can still receive. Later Sends return
// stream.ErrClosed. It is idempotent, returns stream.ErrClosed on a closed
// end, and stream.ErrBusy while a Send is in progress.
func (e *BytePipeEnd) CloseWrite() error {
	if e.closed.Load() {
		return errCloseWriteClosed
	}
	if !e.sendGuard.TryAcquire() {
		return errCloseWriteBusy
	}
	defer e.sendGuard.Release()
	e.out.stopWriting(io.EOF, false)
	return nil
}

// Close closes this end gracefully. The peer receives what was sent and
// buffered so far, then io.EOF; its Sends return stream.ErrBroken. Bytes this
// end had not yet received are discarded. A Send or Receive blocked on this
// end returns stream.ErrClosed, and every later call does too; the part of
// that Send not yet buffered never arrives. Close is idempotent, never blocks
// and returns nil.
func (e *BytePipeEnd) Close() error {
	e.shutdown(io.EOF, errSendBroken)
	return nil
}

// CloseWithError closes this end the way a failing transport would, to test
// how code above a stream copes with one torn down. The peer's Receive
// returns the bytes already buffered for it, then an error wrapping
// stream.ErrBroken and err; its Sends return an error wrapping
// stream.ErrBroken and err. A Send of this end still blocked is withdrawn:
// the part of it not yet buffered never arrives. If this end had already
// called CloseWrite, the peer still gets io.EOF after the data, as a
// shutdown that was already sent cannot be taken back.
//
// CloseWithError(nil) is Close. Like Close it is idempotent (only the first
// close counts), never blocks and returns nil.
func (e *BytePipeEnd) CloseWithError(err error) error {
	if err == nil {
		return e.Close()
	}
	cause := stream.Broken(err)
	e.shutdown(opError("receive", cause), opError("send", cause))
	return nil
}

// shutdown closes the end once: the peer reads eof after the buffered bytes
// and its Sends get gone.
func (e *BytePipeEnd) shutdown(eof, gone error) {
	if !e.closed.CompareAndSwap(false, true) {
		return
	}
	e.out.stopWriting(eof, true)
	e.in.stopReading(gone)
}
