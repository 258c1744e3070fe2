package quic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// closeCode is the application error code of the STOP_SENDING that Close
// sends, and of the reset of a Send that Close interrupts.
const closeCode quicgo.StreamErrorCode = 0

// maxEmptyReads bounds the reads in a row that return nothing and no error,
// which would otherwise spin.
const maxEmptyReads = 100

// reader is the receiving side of a quic-go stream (*quicgo.Stream,
// *quicgo.ReceiveStream).
type reader interface {
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	CancelRead(code quicgo.StreamErrorCode)
}

// writer is the sending side of a quic-go stream (*quicgo.Stream,
// *quicgo.SendStream).
type writer interface {
	Write(p []byte) (int, error)
	SetWriteDeadline(t time.Time) error
	Close() error
	CancelWrite(code quicgo.StreamErrorCode)
}

// receiveHalf is the receiving direction of a stream: one Receive at a time
// (busy), its ctx mapped onto the stream's read deadline (dir).
type receiveHalf struct {
	r      reader
	busy   busy.Guard
	dir    deadline.Direction
	closed atomic.Bool // set by close, before the stream is woken

	// The end of this direction, once seen; owned by the busy holder.
	eof   bool
	cause error // the peer's reset or the connection's end
}

// init binds h to r, sharing context registrations through sh unless it is
// nil, and first through the connection's g. The busy guard admits one
// Receive at a time, so the Direction needs no slot of its own.
func (h *receiveHalf) init(r reader, sh *deadline.Shared, g *deadline.Group) {
	h.r = r
	if sh != nil {
		h.dir.InitShared(sh, (*readDeadline)(h))
	} else {
		h.dir.InitExclusive((*readDeadline)(h))
	}
	h.dir.JoinGroup(g)
}

// readDeadline is a receiveHalf as the deadline.Setter of its stream's read
// deadline; a pointer conversion, unlike a method value, allocates nothing.
type readDeadline receiveHalf

func (h *readDeadline) SetDeadline(t time.Time) error { return h.r.SetReadDeadline(t) }

// receive reads at least one byte into p; see Stream.Receive.
func (h *receiveHalf) receive(ctx context.Context, p []byte) (int, error) {
	if h.closed.Load() {
		return 0, errReceiveClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !h.busy.TryAcquire() {
		if h.closed.Load() {
			return 0, errReceiveClosed
		}
		return 0, errReceiveBusy
	}
	defer h.busy.Release()
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("quic: %s: %w", opReceive, err)
	}
	if err := h.ended(); err != nil {
		return 0, err
	}
	if err := h.dir.Begin(ctx, nil); err != nil {
		return 0, h.fail(ctx, err)
	}
	defer h.dir.End()
	for range maxEmptyReads {
		n, err := h.r.Read(p)
		if n > 0 {
			if err != nil && !isDeadline(err) {
				// Data first; the end is reported by the next call.
				h.remember(streamError(opReceive, err), err)
			}
			return n, nil
		}
		if err == nil {
			continue
		}
		if err = h.dir.Retry(ctx, err); err != nil {
			return 0, h.fail(ctx, err)
		}
	}
	h.remember(nil, io.ErrNoProgress)
	return 0, h.ended()
}

// ended returns the remembered end of this direction, or nil.
func (h *receiveHalf) ended() error {
	switch {
	case h.closed.Load():
		return errReceiveClosed
	case h.eof:
		return io.EOF
	case h.cause != nil:
		return fmt.Errorf("quic: %s: %w", opReceive, stream.Broken(h.cause))
	}
	return nil
}

// fail maps err, which ended a receive with ctx, and remembers an end.
func (h *receiveHalf) fail(ctx context.Context, err error) error {
	if h.closed.Load() {
		return errReceiveClosed
	}
	if cerr := ctx.Err(); cerr != nil && err == cerr {
		return fmt.Errorf("quic: %s: %w", opReceive, cerr)
	}
	e := streamError(opReceive, err)
	h.remember(e, err)
	return e
}

// remember keeps e, the mapping of err, if it ends the direction for good
// (a nil e stands for a broken one). No call reaches quic-go after that, so
// the ctx registration is dropped at once: a stream that ended need not be
// closed to stop being referenced by a long-lived ctx.
func (h *receiveHalf) remember(e, err error) {
	switch {
	case e == io.EOF:
		h.eof = true
	case e == nil || isBroken(e):
		h.cause = err
	default:
		return
	}
	h.dir.Close()
}

// close stops receiving: later calls return stream.ErrClosed, a blocked
// Receive is woken, unread data is dropped, and the peer is told to stop
// sending with code.
func (h *receiveHalf) close(code quicgo.StreamErrorCode) {
	h.closed.Store(true)
	h.dir.Close()
	if h.busy.TryAcquire() && (h.eof || h.cause != nil) {
		// The direction already ended: the peer sends nothing more, so
		// a STOP_SENDING would only cost a frame each way. The guard is
		// kept: every later call sees closed.
		return
	}
	// Either a Receive holds the direction, and only a cancel wakes it,
	// or data may still come.
	h.r.CancelRead(code)
}

// sendHalf is the sending direction of a stream: one Send or CloseWrite at a
// time (busy), its ctx mapped onto the stream's write deadline (dir).
type sendHalf struct {
	w      writer
	busy   busy.Guard
	dir    deadline.Direction
	closed atomic.Bool // set by close, before the stream is woken

	// Owned by the busy holder.
	finished bool  // CloseWrite sent FIN
	cause    error // the peer's stop or the connection's end
}

// init binds h to w, sharing context registrations through sh unless it is
// nil, and first through the connection's g. The busy guard admits one
// Send or CloseWrite at a time, so the Direction needs no slot of its own.
func (h *sendHalf) init(w writer, sh *deadline.Shared, g *deadline.Group) {
	h.w = w
	if sh != nil {
		h.dir.InitShared(sh, (*writeDeadline)(h))
	} else {
		h.dir.InitExclusive((*writeDeadline)(h))
	}
	h.dir.JoinGroup(g)
}

// writeDeadline is a sendHalf as the deadline.Setter of its stream's write
// deadline.
type writeDeadline sendHalf

func (h *writeDeadline) SetDeadline(t time.Time) error { return h.w.SetWriteDeadline(t) }

// acquire takes the busy guard for op, or says why it cannot.
func (h *sendHalf) acquire(op string, busyErr error) error {
	if h.closed.Load() {
		return closedError(op)
	}
	if !h.busy.TryAcquire() {
		if h.closed.Load() {
			return closedError(op)
		}
		return busyErr
	}
	return nil
}

// send writes all of p; see Stream.Send.
func (h *sendHalf) send(ctx context.Context, p []byte) error {
	if err := h.acquire(opSend, errSendBusy); err != nil {
		return err
	}
	defer h.busy.Release()
	if h.finished {
		return errSendClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("quic: %s: %w", opSend, err)
	}
	if h.cause != nil {
		return fmt.Errorf("quic: %s: %w", opSend, stream.Broken(h.cause))
	}
	if err := h.dir.Begin(ctx, nil); err != nil {
		return h.fail(opSend, ctx, err)
	}
	defer h.dir.End()
	for len(p) > 0 {
		n, err := h.w.Write(p)
		p = p[n:]
		if err == nil {
			if n == 0 {
				h.end(io.ErrShortWrite)
				return fmt.Errorf("quic: %s: %w", opSend, stream.Broken(h.cause))
			}
			continue
		}
		if err = h.dir.Retry(ctx, err); err != nil {
			return h.fail(opSend, ctx, err)
		}
	}
	return nil
}

// fail maps err, which ended op with ctx, and remembers a broken stream.
func (h *sendHalf) fail(op string, ctx context.Context, err error) error {
	if h.closed.Load() {
		return closedError(op)
	}
	if cerr := ctx.Err(); cerr != nil && err == cerr {
		return fmt.Errorf("quic: %s: %w", op, cerr)
	}
	e := streamError(op, err)
	if isBroken(e) {
		h.end(err)
	}
	return e
}

// end records that sending ended for good, by cause (nil after FIN), and
// drops the ctx registration, as receiveHalf.remember does.
func (h *sendHalf) end(cause error) {
	if cause == nil {
		h.finished = true
	} else {
		h.cause = cause
	}
	h.dir.Close()
}

// closeWrite sends FIN; see Stream.CloseWrite.
func (h *sendHalf) closeWrite() error {
	if err := h.acquire(opCloseWrite, errCloseWriteBusy); err != nil {
		return err
	}
	defer h.busy.Release()
	if h.finished {
		return nil
	}
	if h.cause != nil {
		return fmt.Errorf("quic: %s: %w", opCloseWrite, stream.Broken(h.cause))
	}
	if err := h.w.Close(); err != nil {
		return h.fail(opCloseWrite, context.Background(), err)
	}
	h.end(nil)
	return nil
}

// close ends sending: with FIN after the bytes sent so far when no Send is
// in progress, and otherwise by resetting the stream with code, which wakes
// the Send. Later calls return stream.ErrClosed.
func (h *sendHalf) close(code quicgo.StreamErrorCode) {
	h.closed.Store(true)
	h.dir.Close()
	if !h.busy.TryAcquire() {
		// A Send (or, rarely, a CloseWrite about to finish) holds the
		// direction: only a reset wakes a Send blocked on flow control.
		h.w.CancelWrite(code)
		return
	}
	// The guard is kept: every later call sees closed.
	if !h.finished && h.cause == nil {
		_ = h.w.Close()
	}
}

// abort resets the stream with code, dropping what was not delivered.
func (h *sendHalf) abort(code quicgo.StreamErrorCode) {
	h.closed.Store(true)
	h.dir.Close()
	h.w.CancelWrite(code)
}

// isDeadline reports whether err is the stream's read or write deadline
// expiring. (quic-go's idle and handshake timeouts are net.Error timeouts
// too, but end the connection and do not match os.ErrDeadlineExceeded.)
func isDeadline(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
