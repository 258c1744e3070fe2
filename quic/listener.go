package quic

import (
	"context"
	ctls "crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/stream"
)

// errAcceptClosed is returned by Accept on a closed Listener.
var errAcceptClosed = fmt.Errorf("quic: accept: %w", stream.ErrClosed)

// Listener accepts QUIC connections on one UDP socket. It is a
// stream.Listener[*Conn]: Accept may be called from several goroutines at
// once, and Close wakes them with stream.ErrClosed.
//
// Connections it accepted outlive it: Close stops accepting, and the UDP
// socket (with its port) is released once the last accepted connection is
// closed too. Connections that finished their handshake but were not
// accepted yet are closed by Close.
//
// Extra answers stream.LocalAddr (*net.UDPAddr) and stream.LocalPort.
type Listener struct {
	ql   *quicgo.Listener
	sock *socket

	mu     sync.Mutex // guards closed; held while an accepted conn takes the socket
	closed bool

	closeOnce sync.Once
}

var _ stream.Listener[*Conn] = (*Listener)(nil)

// Listen listens for QUIC connections on the UDP address ("host:port"; port
// 0 picks one; a name is resolved with ctx). tlsConfig must provide a
// certificate and name the application protocols (NextProtos) the server
// accepts; quicConfig may be nil for quic-go's defaults. Neither config is
// modified.
//
// Connections whose handshake completed wait for Accept in quic-go's queue,
// which holds 32: further ones are closed with CONNECTION_REFUSED (their
// Connect succeeded; their first stream fails). A server that accepts
// slowly — stream.Serve with WithMaxConnections, say — should keep
// accepting and shed load itself, or expect clients to retry.
func Listen(ctx context.Context, address string, tlsConfig *ctls.Config, quicConfig *Config) (*Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: listen: %w", err)
	}
	cfg, err := serverTLS(tlsConfig)
	if err != nil {
		return nil, fmt.Errorf("quic: listen: %w", err)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", address)
	if err != nil {
		return nil, fmt.Errorf("quic: listen: %w", err)
	}
	sock := newSocket(pc.(*net.UDPConn))
	ql, err := sock.tr.Listen(cfg, quicConfig)
	if err != nil {
		sock.release()
		return nil, fmt.Errorf("quic: listen: %w", err)
	}
	return &Listener{ql: ql, sock: sock}, nil
}

// Accept waits for the next connection whose handshake has completed. It
// returns ctx's error when ctx ends first, and stream.ErrClosed once the
// Listener is closed.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: accept: %w", err)
	}
	if l.isClosed() {
		return nil, errAcceptClosed
	}
	qc, err := l.ql.Accept(ctx)
	if err != nil {
		return nil, l.acceptError(ctx, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || !l.sock.hold() {
		_ = qc.CloseWithError(0, "listener closed")
		return nil, errAcceptClosed
	}
	return newConn(qc, true, l.sock), nil
}

// acceptError maps an error of quic-go's Accept.
func (l *Listener) acceptError(ctx context.Context, err error) error {
	switch cerr := ctx.Err(); {
	case cerr != nil && errors.Is(err, cerr):
		return fmt.Errorf("quic: accept: %w", cerr)
	case l.isClosed(), errors.Is(err, quicgo.ErrServerClosed):
		return errAcceptClosed
	}
	// The Transport failed: the socket is unusable.
	return fmt.Errorf("quic: accept: %w", stream.Broken(err))
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close stops accepting, wakes blocked Accept calls with stream.ErrClosed and
// closes the connections waiting to be accepted. Accepted connections stay
// open. It is idempotent and does not wait for peers.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		_ = l.ql.Close()
		// quic-go keeps handing out the connections queued before Close;
		// nobody will accept them now. Accept returns at once when the
		// queue is empty.
		for {
			qc, err := l.ql.Accept(context.Background())
			if err != nil {
				break
			}
			_ = qc.CloseWithError(0, "listener closed")
		}
		l.sock.release()
	})
	return nil
}

// Addr returns the local address the Listener receives on.
func (l *Listener) Addr() net.Addr { return l.sock.pc.LocalAddr() }

// Extra answers the Listener's attributes; see Listener.
func (l *Listener) Extra(key any) (any, bool) {
	switch key {
	case stream.LocalAddr:
		return l.Addr(), true
	case stream.LocalPort:
		return portOf(l.Addr())
	}
	return nil, false
}
