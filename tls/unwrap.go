package tls

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/anyio-go/anyio/stream"
)

// errDataBeforeCloseNotify is application data that arrived while Unwrap
// waited for the peer's close_notify.
var errDataBeforeCloseNotify = errors.New("tls: application data arrived before close_notify")

// Unwrap ends TLS on the transport and hands the transport back, for a
// protocol that goes on in plaintext (STARTTLS and its reverse). It sends
// close_notify unless CloseWrite already did, then reads until the peer's
// close_notify, and returns the transport together with the bytes that came
// after that close_notify in the same read (the start of the plaintext,
// possibly empty). This works because crypto/tls is never handed more than
// one record at a time. The Stream is then closed without touching the
// transport, which now belongs to the caller.
//
// Both ends must call Unwrap (or Close after CloseWrite) for it to finish;
// over a synchronous transport they cannot both be sending close_notify at
// the same moment, so let one side read the other's end first. Application
// data that arrives before the peer's close_notify fails Unwrap with
// stream.ErrBroken (it is not dropped silently); so does an end of the
// transport without close_notify. ctx bounds the whole exchange; after a
// cancelled Unwrap the Stream can still be closed, or unwrapped again.
// Unwrap returns stream.ErrBusy while a Receive or Send runs, and
// stream.ErrClosed after Close.
func (s *Stream) Unwrap(ctx context.Context) (stream.ByteStream, []byte, error) {
	if s.closed.Load() {
		return nil, nil, errClosed("unwrap")
	}
	if !s.recvSlot.TryAcquire() {
		return nil, nil, s.busy("unwrap")
	}
	defer s.recvSlot.Release()
	if err := s.beginSend("unwrap"); err != nil {
		return nil, nil, err
	}
	defer s.sendSlot.Release()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("tls: unwrap: %w", err)
	}
	if err := s.sendCloseNotify(ctx, "unwrap", modeWhole); err != nil {
		return nil, nil, err
	}
	// Everything, close_notify included, must be on the transport before
	// it changes hands.
	if err := s.rc.q.drain(ctx); err != nil {
		return nil, nil, s.sendFailed(ctx, "unwrap", err)
	}
	if err := s.awaitCloseNotify(ctx); err != nil {
		return nil, nil, err
	}
	rest := s.rc.buffered()
	// Closing is done here, so Close leaves the transport alone.
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.rc.q.stop()
	})
	return s.transport, rest, nil
}

// awaitCloseNotify reads until the peer's close_notify. Called with both
// slots held.
func (s *Stream) awaitCloseNotify(ctx context.Context) error {
	var scratch [1]byte
	s.rc.rctx = ctx
	n, err := s.conn.Read(scratch[:])
	s.rc.rctx = context.Background()
	switch {
	case n > 0:
		return fmt.Errorf("tls: unwrap: %w", stream.Broken(errDataBeforeCloseNotify))
	case err == io.EOF && !s.rc.sawEOF:
		return nil
	case err == io.EOF:
		return fmt.Errorf("tls: unwrap: %w", errTruncated)
	}
	if s.closed.Load() {
		return errClosed("unwrap")
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("tls: unwrap: %w", ctxErr)
	}
	return fmt.Errorf("tls: unwrap: %w", stream.Broken(err))
}
