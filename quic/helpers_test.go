package quic_test

import (
	"context"
	ctls "crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/internal/testcert"
	"github.com/anyio-go/anyio/quic"
)

// alpn is the application protocol of the tests.
const alpn = "anyio-test"

// pki is the certificates of one test: an authority and a server
// certificate for localhost and 127.0.0.1 that it signed.
type pki struct {
	ca     *testcert.Authority
	server ctls.Certificate
}

func newPKI(t testing.TB) *pki {
	ca := testcert.NewAuthority(t)
	return &pki{ca: ca, server: ca.Server(t, "localhost", "127.0.0.1")}
}

// serverTLS is a server config with the server certificate and alpn.
func (p *pki) serverTLS() *ctls.Config {
	return &ctls.Config{Certificates: []ctls.Certificate{p.server}, NextProtos: []string{alpn}}
}

// clientTLS trusts the authority and asks for alpn.
func (p *pki) clientTLS() *ctls.Config {
	return &ctls.Config{RootCAs: p.ca.Pool(), NextProtos: []string{alpn}}
}

// testCtx bounds a test's setup calls.
func testCtx(t testing.TB) context.Context { return sockettest.Context(t, 10*time.Second) }

// listen listens on an ephemeral loopback port; the listener is closed
// when the test ends.
func (p *pki) listen(t testing.TB, cfg *quic.Config) *quic.Listener {
	t.Helper()
	l, err := quic.Listen(testCtx(t), "127.0.0.1:0", p.serverTLS(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// connPair connects a client with clientCfg to a server with serverCfg and
// returns both ends. The caller closes them (pairs made with pair are closed
// when the test ends).
func (p *pki) connPair(t testing.TB, clientCfg, serverCfg *quic.Config) (client, server *quic.Conn) {
	t.Helper()
	ctx := testCtx(t)
	l, err := quic.Listen(ctx, "127.0.0.1:0", p.serverTLS(), serverCfg)
	require.NoError(t, err)
	// The accepted connection outlives the listener.
	defer l.Close()
	type result struct {
		c   *quic.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := l.Accept(ctx)
		accepted <- result{c, err}
	}()
	client, err = quic.Connect(ctx, l.Addr().String(), p.clientTLS(), clientCfg)
	r := <-accepted
	if err != nil || r.err != nil {
		if client != nil {
			client.Close()
		}
		if r.c != nil {
			r.c.Close()
		}
		t.Fatalf("connect: %v; accept: %v", err, r.err)
	}
	return client, r.c
}

// pair is connPair with both ends closed when the test ends.
func (p *pki) pair(t testing.TB, clientCfg, serverCfg *quic.Config) (client, server *quic.Conn) {
	t.Helper()
	client, server = p.connPair(t, clientCfg, serverCfg)
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// streamPair opens a stream on client and accepts it on server; the opener
// sends one byte, which the acceptor reads, because the peer learns of a
// stream only from its data.
func streamPair(t testing.TB, client, server *quic.Conn) (a, b *quic.Stream) {
	t.Helper()
	ctx := testCtx(t)
	a, err := client.OpenStream(ctx)
	require.NoError(t, err)
	require.NoError(t, a.Send(ctx, []byte{0}))
	b, err = server.AcceptStream(ctx)
	require.NoError(t, err)
	n, err := b.Receive(ctx, make([]byte, 1))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	return a, b
}
