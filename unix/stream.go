// Package unix is the Unix-domain socket transport: Connect and Listen give
// a *Stream, a stream.ByteStream over a Unix stream socket that passes the
// streamtest conformance suite and can also pass open file descriptors
// (SCM_RIGHTS). Paths starting with '@' are Linux abstract names.
//
// Every blocking call takes a context.Context; cancelling it makes the call
// return promptly with an error for which errors.Is(err, ctx.Err()) holds,
// without a goroutine per call.
package unix

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/internal/relabel"
	"github.com/anyio-go/anyio/stream"
)

// Errors returned without allocating when a direction is busy.
var (
	errReceiveBusy    = fmt.Errorf("unix: receive: %w", stream.ErrBusy)
	errSendBusy       = fmt.Errorf("unix: send: %w", stream.ErrBusy)
	errCloseWriteBusy = fmt.Errorf("unix: close write: %w", stream.ErrBusy)
)

// Stream is a connected Unix stream socket as a stream.ByteStream.
//
// Receive returns io.EOF, unwrapped, once the peer has shut down its sending
// side and every byte before it was read; a reset connection gives errors
// wrapping stream.ErrBroken and the cause; after Close every call returns
// stream.ErrClosed. One receiving call (Receive, ReceiveFDs) and one sending
// call (Send, SendFDs, CloseWrite) may run at a time, concurrently with each
// other; a second concurrent call in the same direction returns
// stream.ErrBusy. A cancelled Receive loses nothing; a cancelled Send may
// have sent a prefix of its bytes.
//
// Extra answers stream.LocalAddr, stream.RemoteAddr (*net.UnixAddr) and
// stream.RawSocket (the *net.UnixConn).
// The raw socket is there for socket options: reading, writing or setting
// deadlines on it while the stream is in use breaks the stream's rules.
type Stream struct {
	bs   stream.ByteStream
	conn *net.UnixConn

	// The stream's own guards cover the descriptor-passing calls too, which
	// do not go through bs.
	recv, send  busy.Guard
	closed      atomic.Bool
	writeClosed atomic.Bool
	fds         fdConn
}

var _ stream.ByteStream = (*Stream)(nil)

func newStream(conn *net.UnixConn) *Stream {
	return &Stream{bs: stream.FromNetConn(conn), conn: conn}
}

// Receive reads at least 1 and at most len(p) bytes, returning as soon as
// any have arrived. At end of stream it returns (0, io.EOF). With
// len(p) == 0 it returns at once. Descriptors that arrive with the bytes it
// reads are closed by the kernel; use ReceiveFDs to take them.
func (s *Stream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		n, err := s.bs.Receive(ctx, p)
		return n, relabel.As("unix", err)
	}
	if !s.recv.TryAcquire() {
		return 0, errReceiveBusy
	}
	n, err := s.bs.Receive(ctx, p)
	s.recv.Release()
	return n, relabel.As("unix", err)
}

// Send writes all of p, or returns an error. It does not retain p.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	if !s.send.TryAcquire() {
		return errSendBusy
	}
	err := s.bs.Send(ctx, p)
	s.send.Release()
	return relabel.As("unix", err)
}

// CloseWrite shuts down the sending side: the peer receives io.EOF after the
// bytes sent before, while this end can still receive. Later sends return
// stream.ErrClosed. It is idempotent.
func (s *Stream) CloseWrite() error {
	if !s.send.TryAcquire() {
		return errCloseWriteBusy
	}
	err := s.bs.CloseWrite()
	if err == nil {
		s.writeClosed.Store(true)
	}
	s.send.Release()
	return relabel.As("unix", err)
}

// Close closes the connection in both directions, waking blocked calls with
// stream.ErrClosed. It does not wait for the peer. It is idempotent.
func (s *Stream) Close() error {
	s.closed.Store(true)
	err := s.bs.Close()
	s.fds.close()
	return relabel.As("unix", err)
}

// Extra answers the stream's attributes; see Stream.
func (s *Stream) Extra(key any) (any, bool) {
	return stream.ForwardExtra(s.bs, key)
}
