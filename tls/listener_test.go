package tls_test

import (
	"context"
	ctls "crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

// tcpListener starts a TLS listener on a loopback port and returns it with
// its address; it is closed when the test ends.
func tcpListener(t *testing.T, cfg *ctls.Config, opts ...tls.Option) (*tls.Listener, string) {
	t.Helper()
	inner, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	l := tls.NewListener(inner, cfg, opts...)
	t.Cleanup(func() { l.Close() })
	return l, inner.Addrs()[0].String()
}

// errorCollector gathers handshake errors reported by a Listener.
type errorCollector struct {
	mu   sync.Mutex
	errs []error
	ch   chan error
}

func newErrorCollector() *errorCollector { return &errorCollector{ch: make(chan error, 16)} }

func (c *errorCollector) report(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
	select {
	case c.ch <- err:
	default:
	}
}

func (c *errorCollector) next(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake error reported")
		return nil
	}
}

type acceptResult struct {
	s   *tls.Stream
	err error
}

func acceptAsync(ctx context.Context, l *tls.Listener) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		s, err := l.Accept(ctx)
		ch <- acceptResult{s, err}
	}()
	return ch
}

func TestListenerAndConnect(t *testing.T) {
	p := newPKI(t)
	sc := p.serverConfig()
	sc.NextProtos = []string{"echo"}
	l, addr := tcpListener(t, sc)
	ctx := testContext(t)

	accepted := acceptAsync(ctx, l)
	cc := p.clientConfig()
	cc.ServerName = "" // taken from the address: 127.0.0.1 is in the certificate
	cc.NextProtos = []string{"echo"}
	c, err := tls.Connect(ctx, addr, cc)
	require.NoError(t, err)
	defer c.Close()
	r := <-accepted
	require.NoError(t, r.err)
	s := r.s
	defer s.Close()

	require.NoError(t, c.Send(ctx, []byte("ping")))
	require.Equal(t, "ping", string(receiveN(ctx, t, s, 4)))
	assert.Equal(t, "echo", stream.ExtraOr(s, tls.ALPNProtocol, ""))
	assert.True(t, stream.ExtraOr(s, tls.ServerSide, false))

	// TLS over TCP still reports the addresses.
	remote, err := stream.Extra(c, stream.RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, addr, remote.String())
	local, err := stream.Extra(s, stream.RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, stream.ExtraOr(c, stream.LocalAddr, nil).String(), local.String())
	_, err = stream.Extra(c, stream.RawSocket)
	require.NoError(t, err)
	laddr, err := stream.Extra(l, stream.LocalAddr)
	require.NoError(t, err)
	assert.Equal(t, addr, laddr.String())
}

func TestConnectVerifiesTheDialledName(t *testing.T) {
	p := newPKI(t)
	l, addr := tcpListener(t, p.serverConfig(), tls.OnHandshakeError(func(error) {}))
	_, port, _ := net.SplitHostPort(addr)
	ctx := testContext(t)
	go func() {
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return
			}
			s.Close()
		}
	}()

	cc := p.clientConfig()
	cc.ServerName = ""
	c, err := tls.Connect(ctx, net.JoinHostPort("localhost", port), cc)
	require.NoError(t, err, "localhost is in the certificate")
	c.Close()

	_, err = tls.Connect(ctx, addr, cc, tls.WithHostname("elsewhere.test"))
	var hostErr x509.HostnameError
	require.ErrorAs(t, err, &hostErr)
}

func TestConnector(t *testing.T) {
	p := newPKI(t)
	l, addr := tcpListener(t, p.serverConfig())
	_, port, _ := net.SplitHostPort(addr)
	ctx := testContext(t)
	accepted := acceptAsync(ctx, l)

	cc := p.clientConfig()
	cc.ServerName = ""
	var conn stream.Connector[stream.ByteStream] = tls.Connector{
		Inner:  tcp.Connector{Address: net.JoinHostPort("localhost", port)},
		Config: cc,
	}
	c, err := conn.Connect(ctx)
	require.NoError(t, err)
	defer c.Close()
	r := <-accepted
	require.NoError(t, r.err)
	defer r.s.Close()
	require.NoError(t, c.Send(ctx, []byte("via connector")))
	require.Equal(t, "via connector", string(receiveN(ctx, t, r.s, 13)))

	_, err = tls.Connector{}.Connect(ctx)
	require.Error(t, err)
}

func TestListenerStalledClientDoesNotBlockOthers(t *testing.T) {
	p := newPKI(t)
	errs := newErrorCollector()
	l, addr := tcpListener(t, p.serverConfig(), tls.OnHandshakeError(errs.report))
	ctx := testContext(t)

	// A client that connects and says nothing.
	stalled, err := tcp.Connect(ctx, addr)
	require.NoError(t, err)
	defer stalled.Close()
	// A client that sends garbage.
	garbage, err := tcp.Connect(ctx, addr)
	require.NoError(t, err)
	defer garbage.Close()
	require.NoError(t, garbage.Send(ctx, []byte("GET / HTTP/1.0\r\n\r\n")))
	err = errs.next(t)
	require.ErrorContains(t, err, "does not look like a TLS handshake")
	require.ErrorContains(t, err, "127.0.0.1", "the error names the client")
	_, err = receiveAll(ctx, garbage)
	require.Error(t, err, "the garbage client's connection was closed")

	start := time.Now()
	accepted := acceptAsync(ctx, l)
	c, err := tls.Connect(ctx, addr, p.clientConfig())
	require.NoError(t, err)
	defer c.Close()
	r := <-accepted
	require.NoError(t, r.err)
	r.s.Close()
	assert.Less(t, time.Since(start), 5*time.Second, "well under the 10 s handshake timeout")
}

func TestListenerHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	errs := newErrorCollector()
	l, addr := tcpListener(t, p.serverConfig(),
		tls.WithHandshakeTimeout(100*time.Millisecond), tls.OnHandshakeError(errs.report))
	_ = l
	ctx := testContext(t)
	stalled, err := tcp.Connect(ctx, addr)
	require.NoError(t, err)
	defer stalled.Close()
	start := time.Now()
	require.ErrorIs(t, errs.next(t), context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	_, err = receiveAll(ctx, stalled)
	require.Error(t, err, "the stalled connection was closed")
}

func TestListenerClose(t *testing.T) {
	p := newPKI(t)
	l, addr := tcpListener(t, p.serverConfig(), tls.OnHandshakeError(func(error) {}))
	ctx := testContext(t)

	// One connection mid-handshake, one done but not yet accepted.
	stalled, err := tcp.Connect(ctx, addr)
	require.NoError(t, err)
	defer stalled.Close()
	c, err := tls.Connect(ctx, addr, p.clientConfig())
	require.NoError(t, err)
	defer c.Close()

	blocked := make(chan error, 1)
	go func() {
		// Nobody accepts the finished connection above until after this
		// Accept, which may return it; accept again to block.
		s, err := l.Accept(ctx)
		if err == nil {
			s.Close()
			_, err = l.Accept(ctx)
		}
		blocked <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Accept block
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-blocked, stream.ErrClosed)
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)
	require.NoError(t, l.Close(), "idempotent")

	// The stalled client's connection was closed.
	_, err = receiveAll(ctx, stalled)
	require.Error(t, err)
	// New connections are refused.
	_, err = tcp.Connect(ctx, addr)
	require.Error(t, err)
}

func TestListenerAcceptContext(t *testing.T) {
	p := newPKI(t)
	l, _ := tcpListener(t, p.serverConfig())
	ctx, cancel := context.WithCancel(context.Background())
	r := acceptAsync(ctx, l)
	time.Sleep(10 * time.Millisecond) // let Accept block
	cancel()
	res := <-r
	require.ErrorIs(t, res.err, context.Canceled)
	_, err := l.Accept(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestListenerWithoutCertificate(t *testing.T) {
	inner := newPipeListener()
	l := tls.NewListener[*memory.BytePipeEnd](inner, &ctls.Config{})
	_, err := l.Accept(testContext(t))
	require.ErrorIs(t, err, tls.ErrNoCertificate)
	require.NoError(t, l.Close())
	require.True(t, inner.isClosed(), "Close closes the inner listener")
}

func TestListenerOverMemoryPipes(t *testing.T) {
	p := newPKI(t)
	inner := newPipeListener()
	l := tls.NewListener[*memory.BytePipeEnd](inner, p.serverConfig(), tls.OnHandshakeError(func(error) {}))
	defer l.Close()
	ctx := testContext(t)

	// A silent client first: it must not hold up the second.
	silent := inner.dial()
	defer silent.Close()
	accepted := acceptAsync(ctx, l)
	c, err := tls.Wrap(ctx, inner.dial(), p.clientConfig())
	require.NoError(t, err)
	defer c.Close()
	r := <-accepted
	require.NoError(t, r.err)
	defer r.s.Close()
	require.NoError(t, r.s.Send(ctx, []byte("hi")))
	require.Equal(t, "hi", string(receiveN(ctx, t, c, 2)))
}

func TestListenerPassesInnerErrorsOn(t *testing.T) {
	p := newPKI(t)
	inner := newPipeListener()
	l := tls.NewListener[*memory.BytePipeEnd](inner, p.serverConfig())
	defer l.Close()
	ctx := testContext(t)
	boom := errors.New("too many open files")
	inner.fail(boom)
	_, err := l.Accept(ctx)
	require.ErrorIs(t, err, boom)

	// Accepting goes on after it.
	accepted := acceptAsync(ctx, l)
	c, err := tls.Wrap(ctx, inner.dial(), p.clientConfig())
	require.NoError(t, err)
	defer c.Close()
	r := <-accepted
	require.NoError(t, r.err)
	r.s.Close()
}

func TestListenerClosesUnacceptedStreams(t *testing.T) {
	p := newPKI(t)
	inner := newPipeListener()
	l := tls.NewListener[*memory.BytePipeEnd](inner, p.serverConfig())
	ctx := testContext(t)
	// With TLS 1.2 the client finishes after the server, which then waits
	// for Accept.
	c, err := tls.Wrap(ctx, inner.dial(), withVersion(p.clientConfig(), ctls.VersionTLS12))
	require.NoError(t, err)
	defer c.Close()
	time.Sleep(20 * time.Millisecond) // let the server reach the hand-over
	require.NoError(t, l.Close())
	// The server side was closed with close_notify: a clean end.
	_, err = receiveAll(ctx, c)
	require.Equal(t, io.EOF, err)
}

// pipeListener is a stream.Listener over memory byte pipes: dial makes a
// pipe and queues its server end for Accept.
type pipeListener struct {
	queue  chan *memory.BytePipeEnd
	errs   chan error
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{
		queue:  make(chan *memory.BytePipeEnd, 16),
		errs:   make(chan error, 1),
		closed: make(chan struct{}),
	}
}

func (l *pipeListener) dial() *memory.BytePipeEnd {
	a, b := memory.NewBytePipe(64 << 10)
	l.queue <- b
	return a
}

func (l *pipeListener) fail(err error) { l.errs <- err }

func (l *pipeListener) Accept(ctx context.Context) (*memory.BytePipeEnd, error) {
	select {
	case err := <-l.errs:
		return nil, err
	default:
	}
	select {
	case s := <-l.queue:
		return s, nil
	case err := <-l.errs:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.closed:
		return nil, stream.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}
