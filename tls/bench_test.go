package tls_test

import (
	"context"
	ctls "crypto/tls"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

// Benchmarks compare this package with crypto/tls used directly on a
// net.Conn, in the same benchmark function:
//
//	go test -run XXX -bench . -benchtime 200ms ./tls/

const bulkChunk = 64 << 10

// BenchmarkBulk sends 64 KiB messages one way over TLS 1.3 and reports the
// throughput.
func BenchmarkBulk(b *testing.B) {
	p := newPKI(b)
	b.Run("anyio/tcp", func(b *testing.B) {
		c, s := anyioTCPPair(b, p)
		benchBulk(b, c, s)
	})
	b.Run("crypto-tls/tcp", func(b *testing.B) {
		c, s := stdlibTCPPair(b, p)
		benchBulk(b, streamOf(c), streamOf(s))
	})
	b.Run("anyio/memory", func(b *testing.B) {
		c, s := memoryPair(b, 256<<10, p.clientConfig(), p.serverConfig())
		benchBulk(b, c, s)
	})
}

func benchBulk(b *testing.B, c, s stream.ByteStream) {
	b.ReportAllocs()
	b.SetBytes(bulkChunk)
	ctx := context.Background()
	total := int64(b.N) * bulkChunk
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, bulkChunk)
		var got int64
		for got < total {
			n, err := s.Receive(ctx, buf)
			if err != nil {
				done <- err
				return
			}
			got += int64(n)
		}
		done <- nil
	}()
	msg := make([]byte, bulkChunk)
	b.ResetTimer()
	for range b.N {
		if err := c.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHandshake measures full TLS 1.3 handshakes (ECDSA P-256, no
// resumption) over fresh loopback TCP connections, listener to client.
func BenchmarkHandshake(b *testing.B) {
	p := newPKI(b)
	b.Run("anyio/tcp", func(b *testing.B) {
		b.ReportAllocs()
		inner, err := tcp.Listen(context.Background(), "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		l := tls.NewListener(inner, p.serverConfig())
		addr := inner.Addrs()[0].String()
		stop := acceptAndClose(func() (io.Closer, error) { return l.Accept(context.Background()) })
		defer func() { l.Close(); stop() }()
		ctx := context.Background()
		cc := p.clientConfig()
		b.ResetTimer()
		for range b.N {
			c, err := tls.Connect(ctx, addr, cc)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		b.StopTimer()
	})
	b.Run("crypto-tls/tcp", func(b *testing.B) {
		b.ReportAllocs()
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		l := ctls.NewListener(inner, p.serverConfig())
		addr := inner.Addr().String()
		var wg sync.WaitGroup
		stop := acceptAndClose(func() (io.Closer, error) {
			c, err := l.Accept()
			if err != nil {
				return nil, err
			}
			// Handshake concurrently, as a server would.
			wg.Go(func() {
				c.(*ctls.Conn).Handshake()
				c.Close()
			})
			return io.NopCloser(nil), nil
		})
		defer func() { l.Close(); stop(); wg.Wait() }()
		cc := p.clientConfig()
		b.ResetTimer()
		for range b.N {
			c, err := ctls.Dial("tcp", addr, cc)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		b.StopTimer()
	})
	b.Run("anyio/memory", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		cc, sc := p.clientConfig(), p.serverConfig()
		for range b.N {
			x, y := memory.NewBytePipe(64 << 10)
			c, s := wrapBoth(ctx, x, y, cc, sc, nil, nil)
			if c.err != nil || s.err != nil {
				b.Fatal(c.err, s.err)
			}
			c.s.Close()
			s.s.Close()
		}
	})
}

// acceptAndClose accepts and closes connections in the background until
// accept fails; the returned stop waits for that, so call it after closing
// the listener.
func acceptAndClose(accept func() (io.Closer, error)) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return func() { <-done }
}

// anyioTCPPair is a TLS 1.3 pair over loopback TCP made with this package.
func anyioTCPPair(b *testing.B, p *pki) (*tls.Stream, *tls.Stream) {
	ctx := context.Background()
	inner, err := tcp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	l := tls.NewListener(inner, p.serverConfig())
	defer l.Close()
	accepted := acceptAsync(ctx, l)
	c, err := tls.Connect(ctx, inner.Addrs()[0].String(), p.clientConfig())
	if err != nil {
		b.Fatal(err)
	}
	r := <-accepted
	if r.err != nil {
		b.Fatal(r.err)
	}
	b.Cleanup(func() { c.Close(); r.s.Close() })
	return c, r.s
}

// stdlibTCPPair is the same pair made with crypto/tls and net directly.
func stdlibTCPPair(b *testing.B, p *pki) (*ctls.Conn, *ctls.Conn) {
	l, err := ctls.Listen("tcp", "127.0.0.1:0", p.serverConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan *ctls.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		s := c.(*ctls.Conn)
		if s.Handshake() != nil {
			s = nil
		}
		accepted <- s
	}()
	c, err := ctls.Dial("tcp", l.Addr().String(), p.clientConfig())
	if err != nil {
		b.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		b.Fatal("server handshake failed")
	}
	b.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// connStream drives a net.Conn through the ByteStream calls the benchmark
// uses, adding nothing but the call.
type connStream struct {
	stream.ByteStream
	c net.Conn
}

func streamOf(c net.Conn) connStream { return connStream{c: c} }

func (s connStream) Receive(_ context.Context, p []byte) (int, error) { return s.c.Read(p) }

func (s connStream) Send(_ context.Context, p []byte) error {
	_, err := s.c.Write(p)
	return err
}
