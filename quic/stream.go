package quic

import (
	"context"
	"sync/atomic"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// Stream is a bidirectional QUIC stream as a stream.ByteStream.
//
// Receive returns io.EOF, unwrapped, once the peer sent FIN and every byte
// before it was read. When the peer resets the stream, or stops reading it,
// the affected direction fails with stream.ErrBroken wrapping *StreamError
// (the peer's code in ErrorCode); when the connection ends, as Conn says.
// After Close or Abort every call returns stream.ErrClosed.
//
// One Receive and one Send (or CloseWrite) may run at a time, concurrently
// with each other; a second concurrent call in the same direction returns
// stream.ErrBusy. A cancelled Receive loses nothing; a cancelled Send may
// have sent a prefix of its bytes, and the stream stays usable. Calls with a
// context.Background ctx, or with the same cancellable ctx as the previous
// call in that direction, allocate nothing.
//
// A stream whose directions have both ended (io.EOF received or broken, and
// CloseWrite done or broken) holds no resources and need not be closed;
// Close ends it early.
//
// Extra answers StreamID and forwards every other key to the Conn.
type Stream struct {
	conn    *Conn
	id      int64
	recv    receiveHalf
	send    sendHalf
	closing atomic.Bool

	// deadlines lets Receive and Send with the same ctx share one
	// registration of its end, when the connection's registration
	// watches another ctx.
	deadlines deadline.Shared
}

var _ stream.ByteStream = (*Stream)(nil)

func newStream(c *Conn, qs *quicgo.Stream) *Stream {
	s := &Stream{conn: c, id: int64(qs.StreamID())}
	s.recv.init(qs, &s.deadlines, &c.deadlines)
	s.send.init(qs, &s.deadlines, &c.deadlines)
	return s
}

// Receive reads at least 1 and at most len(p) bytes, returning as soon as
// any have arrived. At end of stream it returns (0, io.EOF). With
// len(p) == 0 it returns at once.
func (s *Stream) Receive(ctx context.Context, p []byte) (int, error) {
	return s.recv.receive(ctx, p)
}

// Send sends all of p, waiting while the peer's flow-control window is
// full, or returns an error. It does not retain p.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	return s.send.send(ctx, p)
}

// CloseWrite sends FIN: the peer receives io.EOF after the bytes sent
// before, while this end can still receive. Later Sends return
// stream.ErrClosed. It never blocks and is idempotent.
func (s *Stream) CloseWrite() error { return s.send.closeWrite() }

// Close sends FIN (unless a Send is in progress: it is woken, and the
// sending direction reset) and stops receiving, telling the peer to stop
// sending (code 0), so that its later Sends fail with stream.ErrBroken.
// Blocked calls return stream.ErrClosed. Close does not wait for the peer;
// the bytes sent before are still delivered while the connection lives. It
// is idempotent.
func (s *Stream) Close() error {
	if s.closing.CompareAndSwap(false, true) {
		s.send.close(closeCode)
		s.recv.close(closeCode)
	}
	return nil
}

// Abort resets both directions with the application error code: bytes not
// yet delivered are dropped, and the peer's Receive and Send fail with
// stream.ErrBroken wrapping *StreamError with that code. After Abort the
// stream behaves as after Close; aborting a closed stream still drops what
// was not delivered.
func (s *Stream) Abort(code uint64) error {
	s.closing.Store(true)
	s.send.abort(quicgo.StreamErrorCode(code))
	s.recv.close(quicgo.StreamErrorCode(code))
	return nil
}

// Conn returns the connection that carries the stream.
func (s *Stream) Conn() *Conn { return s.conn }

// Extra answers StreamID and forwards every other key to the connection.
func (s *Stream) Extra(key any) (any, bool) {
	if key == StreamID {
		return s.id, true
	}
	return s.conn.Extra(key)
}

// SendStream is a unidirectional QUIC stream that this end sends on, as a
// stream.ByteSender. Its errors and its Extra are those of Stream.
type SendStream struct {
	conn    *Conn
	id      int64
	send    sendHalf
	closing atomic.Bool
}

var _ stream.ByteSender = (*SendStream)(nil)

func newSendStream(c *Conn, qs *quicgo.SendStream) *SendStream {
	s := &SendStream{conn: c, id: int64(qs.StreamID())}
	s.send.init(qs, nil, &c.deadlines)
	return s
}

// Send sends all of p, waiting while the peer's flow-control window is
// full, or returns an error. It does not retain p. Concurrent Sends return
// stream.ErrBusy.
func (s *SendStream) Send(ctx context.Context, p []byte) error {
	return s.send.send(ctx, p)
}

// Close sends FIN: the peer receives io.EOF after the bytes sent before. A
// Send in progress is woken with stream.ErrClosed and the stream reset
// instead. Close does not wait for the peer and is idempotent.
func (s *SendStream) Close() error {
	if s.closing.CompareAndSwap(false, true) {
		s.send.close(closeCode)
	}
	return nil
}

// Abort resets the stream with the application error code: bytes not yet
// delivered are dropped, and the peer's Receive fails with stream.ErrBroken
// wrapping *StreamError with that code.
func (s *SendStream) Abort(code uint64) error {
	s.closing.Store(true)
	s.send.abort(quicgo.StreamErrorCode(code))
	return nil
}

// Conn returns the connection that carries the stream.
func (s *SendStream) Conn() *Conn { return s.conn }

// Extra answers StreamID and forwards every other key to the connection.
func (s *SendStream) Extra(key any) (any, bool) {
	if key == StreamID {
		return s.id, true
	}
	return s.conn.Extra(key)
}

// ReceiveStream is a unidirectional QUIC stream that the peer sends on, as
// a stream.ByteReceiver. Its errors and its Extra are those of Stream.
type ReceiveStream struct {
	conn *Conn
	id   int64
	recv receiveHalf
}

var _ stream.ByteReceiver = (*ReceiveStream)(nil)

func newReceiveStream(c *Conn, qs *quicgo.ReceiveStream) *ReceiveStream {
	s := &ReceiveStream{conn: c, id: int64(qs.StreamID())}
	s.recv.init(qs, nil, &c.deadlines)
	return s
}

// Receive reads at least 1 and at most len(p) bytes, returning as soon as
// any have arrived. At end of stream it returns (0, io.EOF). With
// len(p) == 0 it returns at once. Concurrent Receives return
// stream.ErrBusy.
func (s *ReceiveStream) Receive(ctx context.Context, p []byte) (int, error) {
	return s.recv.receive(ctx, p)
}

// Close stops receiving: unread data is dropped, a blocked Receive returns
// stream.ErrClosed, and the peer is told to stop sending (code 0), so that
// its later Sends fail with stream.ErrBroken. It is idempotent.
func (s *ReceiveStream) Close() error { return s.Abort(uint64(closeCode)) }

// Abort is Close with the application error code that the peer's Sends
// report in *StreamError.
func (s *ReceiveStream) Abort(code uint64) error {
	s.recv.close(quicgo.StreamErrorCode(code))
	return nil
}

// Conn returns the connection that carries the stream.
func (s *ReceiveStream) Conn() *Conn { return s.conn }

// Extra answers StreamID and forwards every other key to the connection.
func (s *ReceiveStream) Extra(key any) (any, bool) {
	if key == StreamID {
		return s.id, true
	}
	return s.conn.Extra(key)
}
