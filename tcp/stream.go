// Package tcp is the TCP transport: Connect dials with happy eyeballs
// (RFC 8305), Listen binds every address a name resolves to, and both give a
// *Stream, a stream.ByteStream over a TCP connection that passes the
// streamtest conformance suite.
//
// Every blocking call takes a context.Context; cancelling it makes the call
// return promptly with an error for which errors.Is(err, ctx.Err()) holds,
// without a goroutine per call.
package tcp

import (
	"context"
	"fmt"
	"net"

	"github.com/anyio-go/anyio/internal/relabel"
	"github.com/anyio-go/anyio/stream"
)

// Stream is a TCP connection as a stream.ByteStream.
//
// Receive returns io.EOF, unwrapped, once the peer has sent FIN and every
// byte before it was read; a reset connection gives errors wrapping
// stream.ErrBroken and the cause (syscall.ECONNRESET); after Close every call
// returns stream.ErrClosed. One Receive and one Send (or CloseWrite) may run
// at a time, concurrently with each other; a second concurrent call in the
// same direction returns stream.ErrBusy. A cancelled Receive loses nothing;
// a cancelled Send may have sent a prefix of its bytes.
//
// Extra answers stream.LocalAddr, stream.RemoteAddr (*net.TCPAddr),
// stream.LocalPort, stream.RemotePort and stream.RawSocket (the
// *net.TCPConn).
// The raw socket is there for socket options: reading, writing or setting
// deadlines on it while the stream is in use breaks the stream's rules.
type Stream struct {
	bs   stream.ByteStream
	conn *net.TCPConn
}

var _ stream.ByteStream = (*Stream)(nil)

// newStream wraps conn, applying the per-connection options.
func newStream(conn *net.TCPConn, cfg *config) (*Stream, error) {
	if !cfg.noDelay {
		// The net package turns TCP_NODELAY on for every connection.
		if err := conn.SetNoDelay(false); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tcp: set TCP_NODELAY: %w", err)
		}
	}
	return &Stream{bs: stream.FromNetConn(conn), conn: conn}, nil
}

// Receive reads at least 1 and at most len(p) bytes, returning as soon as
// any have arrived. At end of stream it returns (0, io.EOF). With
// len(p) == 0 it returns at once.
func (s *Stream) Receive(ctx context.Context, p []byte) (int, error) {
	n, err := s.bs.Receive(ctx, p)
	return n, relabel.As("tcp", err)
}

// Send writes all of p, or returns an error. It does not retain p.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	return relabel.As("tcp", s.bs.Send(ctx, p))
}

// CloseWrite sends FIN: the peer receives io.EOF after the bytes sent
// before, while this end can still receive. Later Sends return
// stream.ErrClosed. It is idempotent.
func (s *Stream) CloseWrite() error {
	return relabel.As("tcp", s.bs.CloseWrite())
}

// Close closes the connection in both directions, waking blocked calls with
// stream.ErrClosed. It does not wait for the peer. It is idempotent.
func (s *Stream) Close() error {
	return relabel.As("tcp", s.bs.Close())
}

// Abort closes the connection with a reset (RST) instead of FIN, discarding
// unsent data: the peer's calls fail with stream.ErrBroken. After Abort the
// stream behaves as after Close.
func (s *Stream) Abort() error {
	// SO_LINGER with a zero timeout makes close(2) send RST. A failure
	// here only means the socket is already closed.
	_ = s.conn.SetLinger(0)
	return relabel.As("tcp", s.bs.Close())
}

// SetNoDelay turns TCP_NODELAY on (small sends leave at once) or off (the
// kernel may coalesce them).
func (s *Stream) SetNoDelay(on bool) error {
	if err := s.conn.SetNoDelay(on); err != nil {
		return fmt.Errorf("tcp: set TCP_NODELAY: %w", err)
	}
	return nil
}

// Extra answers the stream's attributes; see Stream.
func (s *Stream) Extra(key any) (any, bool) {
	return stream.ForwardExtra(s.bs, key)
}
