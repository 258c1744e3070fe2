package tls_test

import (
	"bytes"
	"context"
	ctls "crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/testcert"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

func TestWrapRoundTripOverMemory(t *testing.T) {
	for _, v := range []struct {
		name    string
		version uint16
		size    int
	}{
		{"tls12/buffered", ctls.VersionTLS12, 64 << 10},
		{"tls13/buffered", ctls.VersionTLS13, 64 << 10},
		{"tls12/synchronous", ctls.VersionTLS12, 0},
		{"tls13/synchronous", ctls.VersionTLS13, 0},
	} {
		t.Run(v.name, func(t *testing.T) {
			p := newPKI(t)
			ctx := testContext(t)
			c, s := memoryPair(t, v.size, withVersion(p.clientConfig(), v.version), p.serverConfig())
			go func() { c.Send(ctx, []byte("hello")) }()
			require.Equal(t, "hello", string(receiveN(ctx, t, s, 5)))
			go func() { s.Send(ctx, []byte("world")) }()
			require.Equal(t, "world", string(receiveN(ctx, t, c, 5)))
			assert.Equal(t, v.version, stream.ExtraOr(c, tls.Version, 0))
			assert.Equal(t, v.version, stream.ExtraOr(s, tls.Version, 0))
		})
	}
}

func TestAttributes(t *testing.T) {
	p := newPKI(t)
	cc := p.clientConfig()
	cc.Certificates = []ctls.Certificate{p.client}
	cc.NextProtos = []string{"h2", "x-test"}
	sc := p.mtlsServerConfig()
	sc.NextProtos = []string{"x-test"}
	c, s := memoryPair(t, 64<<10, cc, sc)

	assert.Equal(t, "x-test", stream.ExtraOr(c, tls.ALPNProtocol, ""))
	assert.Equal(t, "x-test", stream.ExtraOr(s, tls.ALPNProtocol, ""))
	assert.False(t, stream.ExtraOr(c, tls.ServerSide, true))
	assert.True(t, stream.ExtraOr(s, tls.ServerSide, false))
	assert.True(t, stream.ExtraOr(c, tls.StandardCompatibleAttr, false))

	peers, err := stream.Extra(c, tls.PeerCertificates)
	require.NoError(t, err)
	require.NotEmpty(t, peers)
	assert.Equal(t, testHost, peers[0].Subject.CommonName)
	peers, err = stream.Extra(s, tls.PeerCertificates)
	require.NoError(t, err)
	require.NotEmpty(t, peers)
	assert.Equal(t, "client", peers[0].Subject.CommonName)

	state, err := stream.Extra(c, tls.ConnectionState)
	require.NoError(t, err)
	assert.True(t, state.HandshakeComplete)
	assert.Equal(t, state.CipherSuite, stream.ExtraOr(c, tls.CipherSuite, 0))
	assert.Equal(t, state.Version, stream.ExtraOr(c, tls.Version, 0))
	assert.Equal(t, c.ConnectionState().CipherSuite, state.CipherSuite)

	// Unknown attributes go to the transport; a memory pipe has no address.
	_, err = stream.Extra(c, stream.RemoteAddr)
	require.ErrorIs(t, err, stream.ErrAttributeNotFound)
}

func TestAttributesForwardToTransport(t *testing.T) {
	p := newPKI(t)
	a, b := memory.NewBytePipe(64 << 10)
	want := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 443}
	ta := addrStream{ByteStream: a, remote: want}
	c, s := wrapBoth(testContext(t), ta, b, p.clientConfig(), p.serverConfig(), nil, nil)
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	defer c.s.Close()
	defer s.s.Close()
	got, err := stream.Extra(c.s, stream.RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// addrStream is a byte stream that reports a remote address.
type addrStream struct {
	stream.ByteStream
	remote net.Addr
}

func (s addrStream) Extra(key any) (any, bool) {
	if key == stream.RemoteAddr {
		return s.remote, true
	}
	return stream.ForwardExtra(s.ByteStream, key)
}

func TestSecureDefaults(t *testing.T) {
	p := newPKI(t)

	t.Run("minimum version is TLS 1.2", func(t *testing.T) {
		// A server that only speaks TLS 1.1 is refused by a client whose
		// config leaves MinVersion unset.
		sc := p.serverConfig()
		sc.MinVersion, sc.MaxVersion = ctls.VersionTLS10, ctls.VersionTLS11
		cc := p.clientConfig()
		a, b := memory.NewBytePipe(64 << 10)
		c, s := wrapBoth(testContext(t), a, b, cc, sc, nil, nil)
		require.Error(t, c.err)
		require.Error(t, s.err)
		assert.Zero(t, cc.MinVersion, "the caller's config is not modified")
	})

	t.Run("caller config not modified", func(t *testing.T) {
		cc, sc := p.clientConfig(), p.serverConfig()
		cc.ServerName = ""
		memoryPair(t, 64<<10, cc, sc, tls.WithHostname(testHost))
		assert.Zero(t, cc.MinVersion)
		assert.Empty(t, cc.ServerName)
		assert.Zero(t, sc.MinVersion)
	})

	t.Run("nil client config uses system roots", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		c, s := wrapBoth(testContext(t), a, b, nil, p.serverConfig(), []tls.Option{tls.WithHostname(testHost)}, nil)
		var unknown x509.UnknownAuthorityError
		require.ErrorAs(t, c.err, &unknown, "the test authority is not a system root")
		require.Error(t, s.err)
	})

	t.Run("server config without certificate", func(t *testing.T) {
		for _, cfg := range []*ctls.Config{nil, {}} {
			a, b := memory.NewBytePipe(64 << 10)
			_, err := tls.Wrap(testContext(t), b, cfg, tls.AsServer())
			require.ErrorIs(t, err, tls.ErrNoCertificate)
			// The transport was closed.
			require.ErrorIs(t, a.Send(context.Background(), []byte("x")), stream.ErrBroken)
			a.Close()
		}
	})

	t.Run("client without server name", func(t *testing.T) {
		cc := p.clientConfig()
		cc.ServerName = ""
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		_, err := tls.Wrap(testContext(t), a, cc)
		require.ErrorContains(t, err, "ServerName")
	})
}

func TestVerificationFailures(t *testing.T) {
	p := newPKI(t)
	other := testcert.NewAuthority(t)
	cases := []struct {
		name   string
		server ctls.Certificate
		check  func(t *testing.T, err error)
	}{
		{"expired", p.ca.Expired(t, testHost), func(t *testing.T, err error) {
			var e x509.CertificateInvalidError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, x509.Expired, e.Reason)
		}},
		{"wrong host", p.ca.Server(t, "other.test"), func(t *testing.T, err error) {
			var e x509.HostnameError
			require.ErrorAs(t, err, &e)
		}},
		{"unknown authority", other.Server(t, testHost), func(t *testing.T, err error) {
			var e x509.UnknownAuthorityError
			require.ErrorAs(t, err, &e)
		}},
		{"self-signed", testcert.SelfSigned(t, testHost), func(t *testing.T, err error) {
			var e x509.UnknownAuthorityError
			require.ErrorAs(t, err, &e)
		}},
		{"client certificate for a server", p.ca.Issue(t, testcert.Template{Hosts: []string{testHost}, Client: true}), func(t *testing.T, err error) {
			var e x509.CertificateInvalidError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, x509.IncompatibleUsage, e.Reason)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := memory.NewBytePipe(64 << 10)
			sc := &ctls.Config{Certificates: []ctls.Certificate{tc.server}}
			c, s := wrapBoth(testContext(t), a, b, p.clientConfig(), sc, nil, nil)
			require.Nil(t, c.s)
			require.Nil(t, s.s)
			tc.check(t, c.err)
			require.Error(t, s.err)
		})
	}
}

func TestClientCertificates(t *testing.T) {
	p := newPKI(t)
	other := testcert.NewAuthority(t)
	for _, version := range []uint16{ctls.VersionTLS12, ctls.VersionTLS13} {
		t.Run(ctls.VersionName(version), func(t *testing.T) {
			t.Run("accepted", func(t *testing.T) {
				cc := withVersion(p.clientConfig(), version)
				cc.Certificates = []ctls.Certificate{p.client}
				c, s := memoryPair(t, 64<<10, cc, p.mtlsServerConfig())
				require.NotNil(t, c)
				peers := stream.ExtraOr(s, tls.PeerCertificates, nil)
				require.Len(t, peers, 1)
				assert.Equal(t, "client", peers[0].Subject.CommonName)
			})
			for name, certs := range map[string][]ctls.Certificate{
				"missing":           nil,
				"unknown authority": {other.Client(t, "intruder")},
			} {
				t.Run(name, func(t *testing.T) {
					cc := withVersion(p.clientConfig(), version)
					cc.Certificates = certs
					ctx := testContext(t)
					a, b := memory.NewBytePipe(64 << 10)
					c, s := wrapBoth(ctx, a, b, cc, p.mtlsServerConfig(), nil, nil)
					require.Error(t, s.err)
					if c.err == nil {
						// TLS 1.3 clients finish before the server has
						// judged their certificate; the refusal arrives as
						// an alert on the first read.
						_, err := c.s.Receive(ctx, make([]byte, 1))
						require.ErrorIs(t, err, stream.ErrBroken)
						c.s.Close()
					}
				})
			}
		})
	}
}

func TestHandshakeContext(t *testing.T) {
	p := newPKI(t)

	t.Run("already cancelled", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := tls.Wrap(ctx, a, p.clientConfig())
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("silent peer", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := tls.Wrap(ctx, a, p.clientConfig())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		// The transport was closed: the peer sees the end of stream
		// after the ClientHello.
		_, err = receiveAll(context.Background(), b)
		require.ErrorIs(t, err, io.EOF)
	})

	t.Run("cancelled mid-handshake", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			// Cancel once the ClientHello is out: the handshake is
			// then waiting for the server.
			if _, err := b.Receive(context.Background(), make([]byte, 1)); err == nil {
				cancel()
			}
		}()
		_, err := tls.Wrap(ctx, a, p.clientConfig())
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("blocked sending", func(t *testing.T) {
		// A synchronous pipe whose peer never reads: the ClientHello
		// cannot go out.
		a, b := memory.NewBytePipe(0)
		defer b.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := tls.Wrap(ctx, a, p.clientConfig())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("callback waits on the context", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		cfg := p.serverConfig()
		cert := cfg.Certificates
		cfg.Certificates = nil
		cfg.GetCertificate = func(chi *ctls.ClientHelloInfo) (*ctls.Certificate, error) {
			<-chi.Context().Done()
			return &cert[0], chi.Context().Err()
		}
		clientErr := make(chan error, 1)
		go func() {
			_, err := tls.Wrap(testContext(t), b, p.clientConfig())
			clientErr <- err
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := tls.Wrap(ctx, a, cfg, tls.AsServer())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		require.Error(t, <-clientErr, "the client saw the transport close")
	})

	t.Run("handshake timeout option", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		_, err := tls.Wrap(context.Background(), a, p.clientConfig(), tls.WithHandshakeTimeout(30*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("peer hangs up", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		b.Close()
		_, err := tls.Wrap(testContext(t), a, p.clientConfig())
		require.Error(t, err)
	})

	t.Run("garbage from the peer", func(t *testing.T) {
		a, b := memory.NewBytePipe(64 << 10)
		defer b.Close()
		go b.Send(context.Background(), []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		_, err := tls.Wrap(testContext(t), a, p.serverConfig(), tls.AsServer())
		require.ErrorContains(t, err, "does not look like a TLS handshake")
	})
}

func TestCancelledReceiveLosesNothing(t *testing.T) {
	p := newPKI(t)
	c, s := memoryPair(t, 64<<10, p.clientConfig(), p.serverConfig())
	ctx := testContext(t)
	buf := make([]byte, 16)
	for range 3 {
		short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		_, err := s.Receive(short, buf)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	require.NoError(t, c.Send(ctx, []byte("after")))
	require.Equal(t, "after", string(receiveN(ctx, t, s, 5)))
}

func TestCancelledSendKeepsTheStreamConsistent(t *testing.T) {
	p := newPKI(t)
	// Synchronous pipe: Send blocks until the peer reads.
	c, s := memoryPair(t, 0, p.clientConfig(), p.serverConfig())
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	big := bytes.Repeat([]byte{'a'}, 1<<16)
	require.ErrorIs(t, c.Send(short, big), context.DeadlineExceeded)

	// The stream goes on: the peer gets whole records of a prefix of big,
	// then what is sent next.
	ctx := testContext(t)
	sent := make(chan error, 1)
	go func() { sent <- c.Send(ctx, []byte("|tail")) }()
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(got, []byte("|tail")) {
		n, err := s.Receive(ctx, buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	require.NoError(t, <-sent)
	prefix := got[:len(got)-len("|tail")]
	assert.LessOrEqual(t, len(prefix), len(big))
	assert.Equal(t, big[:len(prefix)], prefix)
}

// TestCloseSendsQueuedRecordsFirst checks that Close's close_notify goes
// after the records a cancelled Send left queued, not around them.
func TestCloseSendsQueuedRecordsFirst(t *testing.T) {
	p := newPKI(t)
	c, s := memoryPair(t, 0, p.clientConfig(), p.serverConfig())
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	big := bytes.Repeat([]byte{'a'}, 1<<16)
	require.ErrorIs(t, c.Send(short, big), context.DeadlineExceeded)

	ctx := testContext(t)
	type result struct {
		got []byte
		err error
	}
	received := make(chan result, 1)
	go func() {
		got, err := receiveAll(ctx, s)
		received <- result{got, err}
	}()
	require.NoError(t, c.Close())
	r := <-received
	require.Equal(t, io.EOF, r.err, "close_notify must follow the queued records")
	assert.Equal(t, big[:len(r.got)], r.got)
}

func TestFailedSendBreaksTheStream(t *testing.T) {
	p := newPKI(t)
	a, b := memory.NewBytePipe(64 << 10)
	fa := &failingTransport{ByteStream: a}
	c, s := wrapBoth(testContext(t), fa, b, p.clientConfig(), p.serverConfig(), nil, nil)
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	defer s.s.Close()
	ctx := testContext(t)
	fa.fail.Store(true)
	err := c.s.Send(ctx, []byte("x"))
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, errInjected)
	fa.fail.Store(false)
	require.ErrorIs(t, c.s.Send(ctx, []byte("x")), stream.ErrBroken, "sticky")
	require.ErrorIs(t, c.s.CloseWrite(), stream.ErrBroken)
	// Receive still works.
	require.NoError(t, s.s.Send(ctx, []byte("y")))
	require.Equal(t, "y", string(receiveN(ctx, t, c.s, 1)))
	require.NoError(t, c.s.Close())
	require.NoError(t, c.s.Close())
	assert.Equal(t, int32(1), fa.closes.Load())
	require.ErrorIs(t, c.s.Send(ctx, []byte("x")), stream.ErrClosed)
}

var errInjected = errors.New("injected send failure")

// failingTransport fails its Sends while fail is set and counts Closes.
type failingTransport struct {
	stream.ByteStream
	fail   atomic.Bool
	closes atomic.Int32
}

func (f *failingTransport) Send(ctx context.Context, p []byte) error {
	if f.fail.Load() {
		return errInjected
	}
	return f.ByteStream.Send(ctx, p)
}

func (f *failingTransport) Close() error {
	f.closes.Add(1)
	return f.ByteStream.Close()
}

func TestBusy(t *testing.T) {
	p := newPKI(t)
	c, s := memoryPair(t, 0, p.clientConfig(), p.serverConfig())
	ctx := testContext(t)
	started := make(chan struct{})
	got := make(chan error, 1)
	go func() {
		close(started)
		_, err := s.Receive(ctx, make([]byte, 1))
		got <- err
	}()
	<-started
	// Wait until the first Receive holds the slot.
	require.Eventually(t, func() bool {
		_, err := s.Receive(ctx, make([]byte, 1))
		return errors.Is(err, stream.ErrBusy)
	}, 5*time.Second, time.Millisecond)
	_, _, err := s.Unwrap(ctx)
	require.ErrorIs(t, err, stream.ErrBusy)
	require.NoError(t, c.Send(ctx, []byte("x")))
	require.NoError(t, <-got)
}
