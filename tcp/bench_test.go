package tcp_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// benchPair returns a connected tcp pair over IPv4 loopback.
func benchPair(b *testing.B) (c, s *tcp.Stream) {
	b.Helper()
	l := listen(b, "127.0.0.1:0")
	ctx := context.Background()
	c, err := tcp.Connect(ctx, l.Addrs()[0].String())
	if err != nil {
		b.Fatal(err)
	}
	s, err = l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		s.Close()
	})
	return c, s
}

// rawPair returns a connected *net.TCPConn pair over IPv4 loopback.
func rawPair(b *testing.B) (c, s *net.TCPConn) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cc.Close()
		sc.Close()
	})
	return cc.(*net.TCPConn), sc.(*net.TCPConn)
}

// BenchmarkBulk sends 64 KiB at a time one way: tcp.Stream against the
// *net.TCPConn it wraps.
func BenchmarkBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("tcp", func(b *testing.B) {
		c, s := benchPair(b)
		sockettest.BulkStream(b, c, s, chunk)
	})
	b.Run("net", func(b *testing.B) {
		c, s := rawPair(b)
		sockettest.BulkConn(b, c, s, chunk)
	})
}

// BenchmarkPingPong bounces 64 bytes: tcp.Stream with a cancellable ctx on
// both ends against raw *net.TCPConn, and against stream.FromNetConn alone
// to show what the tcp layer adds to it.
func BenchmarkPingPong(b *testing.B) {
	const size = 64
	b.Run("tcp", func(b *testing.B) {
		c, s := benchPair(b)
		pingPong(b, c, s, size)
	})
	b.Run("fromnetconn", func(b *testing.B) {
		c, s := rawPair(b)
		pingPong(b, stream.FromNetConn(c), stream.FromNetConn(s), size)
	})
	b.Run("net", func(b *testing.B) {
		c, s := rawPair(b)
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, size)
			for {
				if _, err := io.ReadFull(s, buf); err != nil {
					return
				}
				if _, err := s.Write(buf); err != nil {
					return
				}
			}
		}()
		p, buf := make([]byte, size), make([]byte, size)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Write(p); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
		c.CloseWrite()
		<-done
	})
}

// pingPong bounces size bytes between c and an echoing s, with one
// cancellable ctx for every call.
func pingPong(b *testing.B, c, s stream.ByteStream, size int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf, r := make([]byte, size), stream.Reader(ctx, s)
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			if s.Send(ctx, buf) != nil {
				return
			}
		}
	}()
	p, buf := make([]byte, size), make([]byte, size)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(ctx, p); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < size; {
			n, err := c.Receive(ctx, buf[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	c.CloseWrite()
	<-done
}

// BenchmarkAcceptConnect measures a full connection set-up and tear-down:
// tcp.Connect and Accept against net.Dial and Accept.
func BenchmarkAcceptConnect(b *testing.B) {
	b.Run("tcp", func(b *testing.B) {
		l := listen(b, "127.0.0.1:0")
		addr := l.Addrs()[0].String()
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			c, err := tcp.Connect(ctx, addr)
			if err != nil {
				b.Fatal(err)
			}
			s, err := l.Accept(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
			s.Close()
		}
	})
	b.Run("net", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addr := ln.Addr().String()
		b.ReportAllocs()
		for b.Loop() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			s, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
			s.Close()
		}
	})
}
