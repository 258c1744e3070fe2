package tls_test

import (
	"context"
	ctls "crypto/tls"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

// conformance makes TLS pairs for the conformance suite with one set of
// certificates and configs.
type conformance struct {
	p      *pki
	client *ctls.Config
	server *ctls.Config
	opts   []tls.Option
}

func newConformance(t *testing.T, version uint16, opts ...tls.Option) *conformance {
	p := newPKI(t)
	return &conformance{p: p, client: withVersion(p.clientConfig(), version), server: p.serverConfig(), opts: opts}
}

// layer wraps the transport ends a (client) and b (server).
func (c *conformance) layer(t testing.TB, a, b stream.ByteStream) (stream.ByteStream, stream.ByteStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10e9)
	defer cancel()
	x, y := wrapBoth(ctx, a, b, c.client, c.server, c.opts, c.opts)
	if x.err != nil || y.err != nil {
		if x.s != nil {
			x.s.Close()
		}
		if y.s != nil {
			y.s.Close()
		}
		t.Fatalf("handshake: client %v, server %v", x.err, y.err)
	}
	return x.s, y.s
}

// overMemory makes pairs over memory byte pipes of the given buffer size.
func (c *conformance) overMemory(size int) streamtest.MakeByteStreams {
	return func(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
		a, b := memory.NewBytePipe(size)
		x, y := c.layer(t, a, b)
		return x, y, func() { a.Close(); b.Close() }
	}
}

// overTCP makes pairs over loopback TCP connections.
func (c *conformance) overTCP(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	return c.tcpPair(t, false)
}

// overTCPClogged is overTCP with small socket buffers, so that a large Send
// blocks while the peer does not read.
func (c *conformance) overTCPClogged(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	return c.tcpPair(t, true)
}

func (c *conformance) tcpPair(t testing.TB, clog bool) (stream.ByteStream, stream.ByteStream, func()) {
	ctx := context.Background()
	l, err := tcp.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan *tcp.Stream, 1)
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			s = nil
		}
		accepted <- s
	}()
	a, err := tcp.Connect(ctx, l.Addrs()[0].String())
	require.NoError(t, err)
	b := <-accepted
	require.NotNil(t, b)
	if clog {
		sockettest.Clog(t, a, b)
	}
	x, y := c.layer(t, a, b)
	return x, y, func() { a.Close(); b.Close() }
}

func (c *conformance) options() streamtest.ByteStreamOptions {
	return streamtest.ByteStreamOptions{
		// A small buffer rather than none: Send blocks while the peer
		// does not read, yet CloseWrite's close_notify fits once the peer
		// has drained the pipe, as the suite expects of every stream.
		Clogged: c.overMemory(4 << 10),
		Layer:   c.layer,
	}
}

func TestConformanceMemoryTLS13(t *testing.T) {
	c := newConformance(t, ctls.VersionTLS13)
	streamtest.TestByteStream(t, c.overMemory(64<<10), c.options())
}

func TestConformanceMemoryTLS12(t *testing.T) {
	c := newConformance(t, ctls.VersionTLS12)
	streamtest.TestByteStream(t, c.overMemory(64<<10), c.options())
}

func TestConformanceMemoryLenient(t *testing.T) {
	c := newConformance(t, ctls.VersionTLS13, tls.StandardCompatible(false))
	opts := c.options()
	opts.LenientEOF = true
	streamtest.TestByteStream(t, c.overMemory(64<<10), opts)
}

func TestConformanceTCP(t *testing.T) {
	c := newConformance(t, ctls.VersionTLS13)
	opts := c.options()
	opts.Clogged = c.overTCPClogged
	streamtest.TestByteStream(t, c.overTCP, opts)
}
