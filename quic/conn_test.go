package quic_test

import (
	"context"
	ctls "crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// letBlock gives a goroutine time to block before the test acts on it.
func letBlock() { time.Sleep(30 * time.Millisecond) }

func TestConfigErrors(t *testing.T) {
	p := newPKI(t)
	ctx := testCtx(t)
	l := p.listen(t, nil)

	noALPN := p.clientTLS()
	noALPN.NextProtos = nil
	for _, cfg := range []*ctls.Config{nil, noALPN} {
		_, err := quic.Connect(ctx, l.Addr().String(), cfg, nil)
		require.ErrorIs(t, err, quic.ErrNoApplicationProtocol)
	}

	serverNoALPN := p.serverTLS()
	serverNoALPN.NextProtos = nil
	_, err := quic.Listen(ctx, "127.0.0.1:0", serverNoALPN, nil)
	require.ErrorIs(t, err, quic.ErrNoApplicationProtocol)

	_, err = quic.Listen(ctx, "127.0.0.1:0", nil, nil)
	require.ErrorIs(t, err, tls.ErrNoCertificate)
	_, err = quic.Listen(ctx, "127.0.0.1:0", &ctls.Config{NextProtos: []string{alpn}}, nil)
	require.ErrorIs(t, err, tls.ErrNoCertificate)

	_, err = quic.Connect(ctx, "no-port", p.clientTLS(), nil)
	require.Error(t, err)
}

func TestConfigsAreNotModified(t *testing.T) {
	p := newPKI(t)
	server, client := p.serverTLS(), p.clientTLS()
	l, err := quic.Listen(testCtx(t), "127.0.0.1:0", server, nil)
	require.NoError(t, err)
	defer l.Close()
	c, err := quic.Connect(testCtx(t), l.Addr().String(), client, nil)
	require.NoError(t, err)
	defer c.Close()
	require.Zero(t, server.MinVersion)
	require.Zero(t, client.MinVersion)
	require.Empty(t, client.ServerName)
}

func TestCertificateIsVerified(t *testing.T) {
	p := newPKI(t)
	l := p.listen(t, nil)
	ctx := testCtx(t)

	// Another authority's roots: the server is not trusted.
	other := newPKI(t)
	_, err := quic.Connect(ctx, l.Addr().String(), other.clientTLS(), nil)
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown)

	// A name the certificate does not cover.
	wrongName := p.clientTLS()
	wrongName.ServerName = "elsewhere.test"
	_, err = quic.Connect(ctx, l.Addr().String(), wrongName, nil)
	var hostname x509.HostnameError
	require.ErrorAs(t, err, &hostname)

	// The host of the address is the name verified: "localhost" is in the
	// certificate.
	_, port, _ := net.SplitHostPort(l.Addr().String())
	c, err := quic.Connect(ctx, net.JoinHostPort("localhost", port), p.clientTLS(), nil)
	require.NoError(t, err)
	c.Close()
}

func TestALPNMismatch(t *testing.T) {
	p := newPKI(t)
	l := p.listen(t, nil)
	cfg := p.clientTLS()
	cfg.NextProtos = []string{"other"}
	_, err := quic.Connect(testCtx(t), l.Addr().String(), cfg, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "application protocol")
}

func TestConnAttributes(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	a, b := streamPair(t, client, server)

	for _, tc := range []struct {
		name         string
		conn         *quic.Conn
		s            *quic.Stream
		local, peer  *quic.Conn
		isServerSide bool
	}{
		{"client", client, a, client, server, false},
		{"server", server, b, server, client, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, from := range []any{tc.conn, tc.s} {
				local, err := stream.Extra(from, stream.LocalAddr)
				require.NoError(t, err)
				require.Equal(t, tc.local.LocalAddr().String(), local.String())
				remote, err := stream.Extra(from, stream.RemoteAddr)
				require.NoError(t, err)
				require.Equal(t, tc.local.RemoteAddr().String(), remote.String())
				require.Equal(t, tc.local.LocalAddr().(*net.UDPAddr).Port, stream.ExtraOr(from, stream.LocalPort, 0))
				require.Equal(t, tc.peer.LocalAddr().(*net.UDPAddr).Port, stream.ExtraOr(from, stream.RemotePort, 0))

				require.Equal(t, alpn, stream.ExtraOr(from, tls.ALPNProtocol, ""))
				require.Equal(t, tc.isServerSide, stream.ExtraOr(from, tls.ServerSide, !tc.isServerSide))
				require.Equal(t, uint16(ctls.VersionTLS13), stream.ExtraOr(from, tls.Version, 0))
				require.NotZero(t, stream.ExtraOr(from, tls.CipherSuite, 0))
				state, err := stream.Extra(from, tls.ConnectionState)
				require.NoError(t, err)
				require.True(t, state.HandshakeComplete)
				qs, err := stream.Extra(from, quic.ConnectionState)
				require.NoError(t, err)
				require.Equal(t, alpn, qs.TLS.NegotiatedProtocol)
				raw, err := stream.Extra(from, quic.Connection)
				require.NoError(t, err)
				require.NotNil(t, raw)
			}
			_, err := stream.Extra(tc.conn, quic.StreamID)
			require.ErrorIs(t, err, stream.ErrAttributeNotFound, "a connection has no stream ID")
			id, err := stream.Extra(tc.s, quic.StreamID)
			require.NoError(t, err)
			require.Zero(t, id, "the first client-initiated bidirectional stream is 0")
		})
	}
	certs := stream.ExtraOr(client, tls.PeerCertificates, nil)
	require.Len(t, certs, 1)
	require.Equal(t, p.server.Leaf.Raw, certs[0].Raw)
	require.Empty(t, stream.ExtraOr(server, tls.PeerCertificates, nil), "no client certificate")
	require.Same(t, client, a.Conn())
}

func TestListenerAttributes(t *testing.T) {
	p := newPKI(t)
	l := p.listen(t, nil)
	addr, err := stream.Extra(l, stream.LocalAddr)
	require.NoError(t, err)
	require.Equal(t, l.Addr(), addr)
	require.Equal(t, l.Addr().(*net.UDPAddr).Port, stream.ExtraOr(l, stream.LocalPort, 0))
	_, err = stream.Extra(l, stream.RemoteAddr)
	require.ErrorIs(t, err, stream.ErrAttributeNotFound)
}

// TestAcceptedConnOutlivesListener: closing the listener leaves accepted
// connections working, and the port is released once they are closed too.
func TestAcceptedConnOutlivesListener(t *testing.T) {
	p := newPKI(t)
	ctx := testCtx(t)
	l, err := quic.Listen(ctx, "127.0.0.1:0", p.serverTLS(), nil)
	require.NoError(t, err)
	addr := l.Addr().String()
	accepted := make(chan *quic.Conn, 1)
	go func() {
		c, _ := l.Accept(ctx)
		accepted <- c
	}()
	client, err := quic.Connect(ctx, addr, p.clientTLS(), nil)
	require.NoError(t, err)
	defer client.Close()
	server := <-accepted
	require.NotNil(t, server)
	require.NoError(t, l.Close())

	a, b := streamPair(t, client, server)
	require.NoError(t, b.Send(ctx, []byte("still here")))
	buf := make([]byte, 32)
	n, err := a.Receive(ctx, buf)
	require.NoError(t, err)
	require.Equal(t, "still here", string(buf[:n]))

	require.NoError(t, server.Close())
	l2, err := quic.Listen(ctx, addr, p.serverTLS(), nil)
	require.NoError(t, err, "the port is free once the last connection closed")
	l2.Close()
}

// TestListenerCloseRefusesQueued: a connection that was never accepted is
// closed with the listener (refused while its handshake is in flight,
// closed when it was waiting to be accepted), so that its client learns at
// once rather than after the idle timeout.
func TestListenerCloseRefusesQueued(t *testing.T) {
	p := newPKI(t)
	ctx := testCtx(t)
	l, err := quic.Listen(ctx, "127.0.0.1:0", p.serverTLS(), nil)
	require.NoError(t, err)
	client, err := quic.Connect(ctx, l.Addr().String(), p.clientTLS(), nil)
	require.NoError(t, err)
	defer client.Close()
	s, err := client.OpenStream(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Send(ctx, []byte("x")))
	require.NoError(t, l.Close())

	prompt, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = client.AcceptStream(prompt)
	require.ErrorIs(t, err, stream.ErrBroken)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
}

func TestConnectCancelled(t *testing.T) {
	p := newPKI(t)
	// A socket that never answers: the handshake waits.
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer silent.Close()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = quic.Connect(ctx, silent.LocalAddr().String(), p.clientTLS(), nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), time.Second)

	_, err = quic.Connect(ctx, silent.LocalAddr().String(), p.clientTLS(), nil)
	require.ErrorIs(t, err, context.Canceled, "a done ctx fails at once")
	_, err = quic.Listen(ctx, "127.0.0.1:0", p.serverTLS(), nil)
	require.ErrorIs(t, err, context.Canceled)
}

// TestLocalCloseWakesEverything: closing a connection wakes every call
// blocked on it or its streams with stream.ErrClosed, and the peer's with
// stream.ErrBroken carrying the code.
func TestLocalCloseWakesEverything(t *testing.T) {
	p := newPKI(t)
	cfg := &quic.Config{EnableDatagrams: true, InitialStreamReceiveWindow: 16 << 10, MaxStreamReceiveWindow: 16 << 10}
	client, server := p.pair(t, cfg, cfg)
	a, b := streamPair(t, client, server)
	dg, err := client.Datagrams()
	require.NoError(t, err)
	ctx := testCtx(t)

	calls := map[string]func() error{
		"receive": func() error { _, err := a.Receive(ctx, make([]byte, 8)); return err },
		"send": func() error {
			big := make([]byte, 1<<20)
			return a.Send(ctx, big) // blocks: b does not read
		},
		"accept stream":     func() error { _, err := client.AcceptStream(ctx); return err },
		"accept uni stream": func() error { _, err := client.AcceptUniStream(ctx); return err },
		"receive datagram":  func() error { _, err := dg.Receive(ctx); return err },
	}
	errs := make(map[string]chan error)
	for name, call := range calls {
		ch := make(chan error, 1)
		errs[name] = ch
		go func() { ch <- call() }()
	}
	peerErr := make(chan error, 1)
	go func() {
		_, err := server.AcceptStream(ctx)
		peerErr <- err
	}()
	letBlock()
	require.NoError(t, client.CloseWithError(42, "bye"))
	require.NoError(t, client.CloseWithError(43, "again"), "idempotent")
	for name, ch := range errs {
		select {
		case err := <-ch:
			assert.ErrorIs(t, err, stream.ErrClosed, name)
			assert.NotErrorIs(t, err, stream.ErrBroken, name)
		case <-time.After(2 * time.Second):
			t.Fatalf("%s still blocked", name)
		}
	}
	_, err = client.OpenStream(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)

	err = <-peerErr
	require.ErrorIs(t, err, stream.ErrBroken)
	var appErr *quic.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.Remote)
	require.EqualValues(t, 42, appErr.ErrorCode)
	require.Equal(t, "bye", appErr.ErrorMessage)
	_, err = b.Receive(ctx, make([]byte, 1<<20))
	for err == nil {
		// b may first get the bytes that arrived before the close.
		_, err = b.Receive(ctx, make([]byte, 1<<20))
	}
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorAs(t, err, &appErr)
	require.ErrorIs(t, b.Send(ctx, []byte("x")), stream.ErrBroken)
}

func TestIdleTimeout(t *testing.T) {
	p := newPKI(t)
	cfg := &quic.Config{MaxIdleTimeout: 300 * time.Millisecond}
	client, server := p.pair(t, cfg, nil)
	a, _ := streamPair(t, client, server)
	start := time.Now()
	_, err := a.Receive(context.Background(), make([]byte, 8))
	require.ErrorIs(t, err, stream.ErrBroken)
	var idle *quic.IdleTimeoutError
	require.ErrorAs(t, err, &idle)
	require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	_, err = client.AcceptStream(context.Background())
	require.ErrorAs(t, err, &idle)
	require.NotErrorIs(t, err, stream.ErrClosed)
	<-server.Context().Done()
	require.ErrorAs(t, context.Cause(server.Context()), &idle, "the server timed out too")
}

func TestAcceptStreamCancel(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err := server.AcceptStream(ctx)
	require.ErrorIs(t, err, context.Canceled)
	_, err = server.AcceptUniStream(ctx)
	require.ErrorIs(t, err, context.Canceled)
	_, err = client.OpenStream(ctx)
	require.ErrorIs(t, err, context.Canceled)
	_, err = client.OpenUniStream(ctx)
	require.ErrorIs(t, err, context.Canceled)

	// The connection still works.
	streamPair(t, client, server)
}

// TestOpenStreamWaitsForCredit: with the peer's limit reached OpenStream
// waits until a stream completes, or until its ctx ends.
func TestOpenStreamWaitsForCredit(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, &quic.Config{MaxIncomingStreams: 1})
	a, b := streamPair(t, client, server)

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client.OpenStream(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	opened := make(chan error, 1)
	go func() {
		s, err := client.OpenStream(testCtx(t))
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	letBlock()
	// Both directions end: the stream completes and its credit returns.
	require.NoError(t, a.CloseWrite())
	require.NoError(t, b.CloseWrite())
	_, err = b.Receive(testCtx(t), make([]byte, 1))
	require.Equal(t, io.EOF, err)
	_, err = a.Receive(testCtx(t), make([]byte, 1))
	require.Equal(t, io.EOF, err)
	require.NoError(t, <-opened)
}
