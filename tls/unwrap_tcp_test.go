package tls_test

import (
	"context"
	ctls "crypto/tls"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

// tcpPair returns both ends of one loopback TCP connection, closed when the
// test ends.
func tcpPair(ctx context.Context, t *testing.T) (client, server *tcp.Stream) {
	t.Helper()
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
	client, err = tcp.Connect(ctx, l.Addrs()[0].String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server = <-accepted
	require.NotNil(t, server, "accept failed")
	t.Cleanup(func() { server.Close() })
	return client, server
}

// exchange sends msg on from and checks that to receives exactly msg.
func exchange(ctx context.Context, t *testing.T, from, to stream.ByteStream, msg string) {
	t.Helper()
	require.NoError(t, from.Send(ctx, []byte(msg)))
	require.Equal(t, msg, string(receiveN(ctx, t, to, len(msg))))
}

// receiveAfter reads a message of n bytes whose start may already have been
// read: rest, the bytes Unwrap returned, come first, the remainder is read
// from s. Nothing may be lost between the two.
func receiveAfter(ctx context.Context, t *testing.T, rest []byte, s stream.ByteStream, n int) string {
	t.Helper()
	require.LessOrEqual(t, len(rest), n, "Unwrap returned more than the peer sent: %q", rest)
	return string(rest) + string(receiveN(ctx, t, s, n-len(rest)))
}

type unwrapped struct {
	transport stream.ByteStream
	rest      []byte
	err       error
}

// TestUnwrapStartTLSOverTCP runs a STARTTLS-style protocol on one real TCP
// connection: plaintext, then TLS, then plaintext again, checking that the
// plaintext a peer sends right after its close_notify survives the switch
// whether or not it arrived in the same read as the close_notify.
func TestUnwrapStartTLSOverTCP(t *testing.T) {
	versions := []struct {
		name    string
		version uint16
	}{
		{"TLS1.2", ctls.VersionTLS12},
		{"TLS1.3", ctls.VersionTLS13},
	}
	orders := []struct {
		name string
		// closeWriteFirst has the client send close_notify and wait for
		// the server's plaintext to be sent before it unwraps, so that
		// the plaintext is usually read together with the close_notify.
		// Otherwise the client unwraps first and is already reading when
		// the server unwraps.
		closeWriteFirst bool
	}{
		{"client unwraps first", false},
		{"client closes write first", true},
	}
	p := newPKI(t)
	for _, v := range versions {
		for _, o := range orders {
			t.Run(v.name+"/"+o.name, func(t *testing.T) {
				testStartTLS(t, p, v.version, o.closeWriteFirst)
			})
		}
	}
}

func testStartTLS(t *testing.T, p *pki, version uint16, closeWriteFirst bool) {
	ctx := testContext(t)
	rawClient, rawServer := tcpPair(ctx, t)

	// Plaintext negotiation on the raw connection.
	exchange(ctx, t, rawClient, rawServer, "STARTTLS\r\n")
	exchange(ctx, t, rawServer, rawClient, "OK\r\n")

	// TLS on the same connection.
	c, s := wrapBoth(ctx, rawClient, rawServer,
		withVersion(p.clientConfig(), version), withVersion(p.serverConfig(), version), nil, nil)
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	defer c.s.Close()
	defer s.s.Close()
	require.Equal(t, version, stream.ExtraOr(c.s, tls.Version, 0))
	exchange(ctx, t, c.s, s.s, "secret from client")
	exchange(ctx, t, s.s, c.s, "secret from server")

	// Back to plaintext. Each side sends at once after its Unwrap, so its
	// bytes may travel right behind its close_notify.
	const fromServer, fromClient = "server plaintext after TLS\r\n", "client plaintext after TLS\r\n"
	clientDone := make(chan unwrapped, 1)
	unwrapClient := func() {
		st, rest, err := c.s.Unwrap(ctx)
		if err == nil {
			err = st.Send(ctx, []byte(fromClient))
		}
		clientDone <- unwrapped{st, rest, err}
	}
	if closeWriteFirst {
		require.NoError(t, c.s.CloseWrite())
	} else {
		go unwrapClient()
	}
	st, serverRest, err := s.s.Unwrap(ctx)
	require.NoError(t, err)
	require.Same(t, stream.ByteStream(rawServer), st)
	require.NoError(t, st.Send(ctx, []byte(fromServer)))
	if closeWriteFirst {
		go unwrapClient()
	}
	cu := <-clientDone
	require.NoError(t, cu.err)
	require.Same(t, stream.ByteStream(rawClient), cu.transport)
	t.Logf("bytes read with close_notify: client %d, server %d", len(cu.rest), len(serverRest))

	require.Equal(t, fromServer, receiveAfter(ctx, t, cu.rest, rawClient, len(fromServer)))
	require.Equal(t, fromClient, receiveAfter(ctx, t, serverRest, rawServer, len(fromClient)))

	// The TLS streams are finished and leave the connection alone.
	require.NoError(t, c.s.Close())
	require.NoError(t, s.s.Close())
	exchange(ctx, t, rawClient, rawServer, "QUIT\r\n")
	exchange(ctx, t, rawServer, rawClient, "BYE\r\n")

	// The connection ends as plain TCP does.
	require.NoError(t, rawServer.CloseWrite())
	rest, err := receiveAll(ctx, rawClient)
	require.ErrorIs(t, err, io.EOF)
	require.Empty(t, rest)
	require.NoError(t, rawClient.Close())
	require.NoError(t, rawServer.Close())
}
