package tls_test

import (
	"context"
	ctls "crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/internal/testcert"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// testHost is the name the test server certificates are issued for.
const testHost = "server.test"

// pki is the certificates one test uses: an authority, a server certificate
// for testHost, localhost and 127.0.0.1, and a client certificate.
type pki struct {
	ca     *testcert.Authority
	server ctls.Certificate
	client ctls.Certificate
}

func newPKI(t testing.TB) *pki {
	ca := testcert.NewAuthority(t)
	return &pki{
		ca:     ca,
		server: ca.Server(t, testHost, "localhost", "127.0.0.1"),
		client: ca.Client(t, "client"),
	}
}

// serverConfig is a server config with the server certificate.
func (p *pki) serverConfig() *ctls.Config {
	return &ctls.Config{Certificates: []ctls.Certificate{p.server}}
}

// mtlsServerConfig also requires a client certificate from the authority.
func (p *pki) mtlsServerConfig() *ctls.Config {
	c := p.serverConfig()
	c.ClientAuth = ctls.RequireAndVerifyClientCert
	c.ClientCAs = p.ca.Pool()
	return c
}

// clientConfig trusts the authority and expects testHost.
func (p *pki) clientConfig() *ctls.Config {
	return &ctls.Config{RootCAs: p.ca.Pool(), ServerName: testHost}
}

// withVersion pins a config to one TLS version.
func withVersion(c *ctls.Config, v uint16) *ctls.Config {
	c.MinVersion, c.MaxVersion = v, v
	return c
}

// testContext is a context bounding one test step.
func testContext(t testing.TB) context.Context { return sockettest.Context(t, 10*time.Second) }

type wrapped struct {
	s   *tls.Stream
	err error
}

// wrapBoth handshakes over a and b at once, b as the server, and returns
// both results.
func wrapBoth(ctx context.Context, a, b stream.ByteStream, clientCfg, serverCfg *ctls.Config, clientOpts, serverOpts []tls.Option) (client, server wrapped) {
	done := make(chan wrapped, 1)
	go func() {
		s, err := tls.Wrap(ctx, b, serverCfg, append([]tls.Option{tls.AsServer()}, serverOpts...)...)
		done <- wrapped{s, err}
	}()
	c, err := tls.Wrap(ctx, a, clientCfg, clientOpts...)
	return wrapped{c, err}, <-done
}

// memoryPair returns a client and a server TLS stream over a memory byte
// pipe with the given buffer size; both are closed when the test ends.
func memoryPair(t testing.TB, size int, clientCfg, serverCfg *ctls.Config, opts ...tls.Option) (client, server *tls.Stream) {
	t.Helper()
	a, b := memory.NewBytePipe(size)
	c, s := wrapBoth(testContext(t), a, b, clientCfg, serverCfg, opts, opts)
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	t.Cleanup(func() { c.s.Close(); s.s.Close() })
	return c.s, s.s
}

// receiveAll reads from s until io.EOF or another error and returns what it
// read and the error that ended it.
func receiveAll(ctx context.Context, s stream.ByteReceiver) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Receive(ctx, buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// receiveN reads exactly n bytes from s.
func receiveN(ctx context.Context, t testing.TB, s stream.ByteReceiver, n int) []byte {
	t.Helper()
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		m, err := s.Receive(ctx, buf[:n-len(out)])
		require.NoError(t, err)
		out = append(out, buf[:m]...)
	}
	return out
}
