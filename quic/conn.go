package quic

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// Conn is a QUIC connection: a TLS 1.3 session over UDP that carries any
// number of streams and, when both ends enabled them, datagrams. All its
// methods may be called from several goroutines at once.
//
// When the connection ends, every call on it and on its streams returns: with
// stream.ErrClosed after this end closed it, and otherwise with
// stream.ErrBroken wrapping the cause (*ApplicationError with the peer's code,
// *IdleTimeoutError, a transport error).
//
// Extra answers stream.LocalAddr and stream.RemoteAddr (*net.UDPAddr),
// stream.LocalPort, stream.RemotePort, tls.ConnectionState,
// tls.ALPNProtocol, tls.ServerSide, tls.PeerCertificates, tls.Version,
// tls.CipherSuite, ConnectionState and Connection; its streams answer the
// same, and StreamID.
type Conn struct {
	qc     *quicgo.Conn
	server bool
	sock   *socket

	// watch releases sock once the connection ends, whoever ends it.
	watch       func() bool
	releaseOnce sync.Once

	// deadlines lets the calls on all streams with the same ctx (a
	// server's serving ctx, say) share one registration of its end.
	deadlines deadline.Group

	datagramsOnce sync.Once
	datagrams     *Datagrams
}

// newConn wraps qc, which uses sock; the Conn releases its hold on sock when
// the connection ends.
func newConn(qc *quicgo.Conn, server bool, sock *socket) *Conn {
	c := &Conn{qc: qc, server: server, sock: sock}
	c.watch = context.AfterFunc(qc.Context(), c.release)
	return c
}

func (c *Conn) release() {
	c.deadlines.Close()
	c.releaseOnce.Do(c.sock.release)
}

// OpenStream opens a bidirectional stream, waiting while the peer's limit
// on concurrent streams is reached. The peer's AcceptStream returns it once
// the first bytes (or CloseWrite) arrive. ctx bounds the wait only.
func (c *Conn) OpenStream(ctx context.Context) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: open stream: %w", err)
	}
	qs, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, c.callError("open stream", ctx, err)
	}
	return newStream(c, qs), nil
}

// AcceptStream waits for the next bidirectional stream the peer opened.
func (c *Conn) AcceptStream(ctx context.Context) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: accept stream: %w", err)
	}
	qs, err := c.qc.AcceptStream(ctx)
	if err != nil {
		return nil, c.callError("accept stream", ctx, err)
	}
	return newStream(c, qs), nil
}

// OpenUniStream opens a stream that only this end sends on, waiting while
// the peer's limit on concurrent one-way streams is reached. The peer's
// AcceptUniStream returns it once the first bytes (or Close) arrive.
func (c *Conn) OpenUniStream(ctx context.Context) (*SendStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: open uni stream: %w", err)
	}
	qs, err := c.qc.OpenUniStreamSync(ctx)
	if err != nil {
		return nil, c.callError("open uni stream", ctx, err)
	}
	return newSendStream(c, qs), nil
}

// AcceptUniStream waits for the next one-way stream the peer opened.
func (c *Conn) AcceptUniStream(ctx context.Context) (*ReceiveStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: accept uni stream: %w", err)
	}
	qs, err := c.qc.AcceptUniStream(ctx)
	if err != nil {
		return nil, c.callError("accept uni stream", ctx, err)
	}
	return newReceiveStream(c, qs), nil
}

// callError maps the error of a connection-level call with ctx.
func (c *Conn) callError(op string, ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		return fmt.Errorf("quic: %s: %w", op, cerr)
	}
	return connError(op, err)
}

// CloseWithError closes the connection with an application error code and
// a message for the peer, whose calls then fail with stream.ErrBroken
// wrapping *ApplicationError. Calls blocked on this connection or its
// streams return stream.ErrClosed. Data not yet delivered is lost: finish
// streams (and wait for the peer's answer) first for a graceful end. It
// returns once the close was sent and the connection's resources are
// released (the UDP socket of a client connection). It is idempotent;
// only the first code is sent.
func (c *Conn) CloseWithError(code uint64, msg string) error {
	_ = c.qc.CloseWithError(quicgo.ApplicationErrorCode(code), msg)
	c.watch()
	c.release()
	return nil
}

// Close closes the connection with error code 0 and no message; see
// CloseWithError.
func (c *Conn) Close() error { return c.CloseWithError(0, "") }

// Context returns a context that is cancelled when the connection ends; its
// cause (context.Cause) is the error that ended it.
func (c *Conn) Context() context.Context { return c.qc.Context() }

// LocalAddr returns the local UDP address.
func (c *Conn) LocalAddr() net.Addr { return c.qc.LocalAddr() }

// RemoteAddr returns the peer's UDP address.
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// Extra answers the connection's attributes; see Conn. It may be called at
// any time, also after Close.
func (c *Conn) Extra(key any) (any, bool) {
	switch key {
	case stream.LocalAddr:
		return c.qc.LocalAddr(), true
	case stream.RemoteAddr:
		return c.qc.RemoteAddr(), true
	case stream.LocalPort:
		return portOf(c.qc.LocalAddr())
	case stream.RemotePort:
		return portOf(c.qc.RemoteAddr())
	case tls.ServerSide:
		return c.server, true
	case ConnectionState:
		return c.qc.ConnectionState(), true
	case Connection:
		return c.qc, true
	}
	return c.tlsExtra(key)
}

// tlsExtra answers the attributes of package tls.
func (c *Conn) tlsExtra(key any) (any, bool) {
	switch key {
	case tls.ConnectionState:
		return c.qc.ConnectionState().TLS, true
	case tls.ALPNProtocol:
		return c.qc.ConnectionState().TLS.NegotiatedProtocol, true
	case tls.PeerCertificates:
		return c.qc.ConnectionState().TLS.PeerCertificates, true
	case tls.Version:
		return c.qc.ConnectionState().TLS.Version, true
	case tls.CipherSuite:
		return c.qc.ConnectionState().TLS.CipherSuite, true
	}
	return nil, false
}

// portOf returns the port of a UDP address.
func portOf(a net.Addr) (any, bool) {
	if u, ok := a.(*net.UDPAddr); ok && u != nil {
		return u.Port, true
	}
	return nil, false
}
