package stream

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkFromNetConnBulk sends 64 KiB chunks over TCP loopback, through
// FromNetConn with a cancellable ctx on both sides, and through the raw
// *net.TCPConn.
func BenchmarkFromNetConnBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("stream", func(b *testing.B) {
		ca, cb := tcpPair(b)
		sa, sb := FromNetConn(ca), FromNetConn(cb)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bulk(b, chunk,
			func(p []byte) error { return sa.Send(ctx, p) },
			func(p []byte) (int, error) { return sb.Receive(ctx, p) })
	})
	b.Run("net", func(b *testing.B) {
		ca, cb := tcpPair(b)
		bulk(b, chunk,
			func(p []byte) error { _, err := ca.Write(p); return err },
			cb.Read)
	})
}

func bulk(b *testing.B, chunk int, send func([]byte) error, recv func([]byte) (int, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(chunk))
	total := int64(chunk) * int64(b.N)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, chunk)
		for got := int64(0); got < total; {
			n, err := recv(buf)
			if err != nil {
				done <- err
				return
			}
			got += int64(n)
		}
		done <- nil
	}()
	p := make([]byte, chunk)
	b.ResetTimer()
	for range b.N {
		if err := send(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFromNetConnPingPong bounces 64 bytes over TCP loopback, through
// FromNetConn with a cancellable ctx reused across calls (a handler loop),
// and through the raw *net.TCPConn.
func BenchmarkFromNetConnPingPong(b *testing.B) {
	const size = 64
	b.Run("stream", func(b *testing.B) {
		ca, cb := tcpPair(b)
		sa, sb := FromNetConn(ca), FromNetConn(cb)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pingPong(b, size,
			func(p []byte) error { return sa.Send(ctx, p) },
			func(p []byte) (int, error) { return sa.Receive(ctx, p) },
			func(p []byte) error { return sb.Send(ctx, p) },
			func(p []byte) (int, error) { return sb.Receive(ctx, p) })
	})
	b.Run("net", func(b *testing.B) {
		ca, cb := tcpPair(b)
		pingPong(b, size,
			func(p []byte) error { _, err := ca.Write(p); return err }, ca.Read,
			func(p []byte) error { _, err := cb.Write(p); return err }, cb.Read)
	})
}

func pingPong(b *testing.B, size int,
	sendA func([]byte) error, recvA func([]byte) (int, error),
	sendB func([]byte) error, recvB func([]byte) (int, error),
) {
	b.ReportAllocs()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, size)
		for range b.N {
			if err := readFull(recvB, buf); err != nil {
				done <- err
				return
			}
			if err := sendB(buf); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	buf := make([]byte, size)
	b.ResetTimer()
	for range b.N {
		if err := sendA(buf); err != nil {
			b.Fatal(err)
		}
		if err := readFull(recvA, buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func readFull(recv func([]byte) (int, error), p []byte) error {
	for got := 0; got < len(p); {
		n, err := recv(p[got:])
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		got += n
	}
	return nil
}

// BenchmarkNetConnPingPong bounces 64 bytes through NetConn over
// FromNetConn over TCP loopback, and over the raw *net.TCPConn.
func BenchmarkNetConnPingPong(b *testing.B) {
	run := func(b *testing.B, ca, cb net.Conn) {
		pingPong(b, 64,
			func(p []byte) error { _, err := ca.Write(p); return err }, ca.Read,
			func(p []byte) error { _, err := cb.Write(p); return err }, cb.Read)
	}
	b.Run("netconn", func(b *testing.B) {
		ca, cb := tcpPair(b)
		a, c := NetConn(FromNetConn(ca)), NetConn(FromNetConn(cb))
		run(b, a, c)
	})
	b.Run("net", func(b *testing.B) {
		ca, cb := tcpPair(b)
		run(b, ca, cb)
	})
}

// nopConn is a net.Conn whose reads and writes complete at once, to measure
// what FromNetConn adds to each call.
type nopConn struct{ net.Conn }

func (nopConn) Read(p []byte) (int, error)       { return len(p), nil }
func (nopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (nopConn) SetReadDeadline(time.Time) error  { return nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }
func (nopConn) SetDeadline(time.Time) error      { return nil }
func (nopConn) Close() error                     { return nil }

// BenchmarkFromNetConnOverhead measures the cost FromNetConn adds to a
// Receive plus a Send, against calling the conn directly.
func BenchmarkFromNetConnOverhead(b *testing.B) {
	p := make([]byte, 64)
	var c net.Conn = nopConn{}
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"stream/background", context.Background()}, {"stream/cancellable", cancellable}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			s := FromNetConn(c)
			for range b.N {
				if _, err := s.Receive(tc.ctx, p); err != nil {
					b.Fatal(err)
				}
				if err := s.Send(tc.ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("net", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := c.Read(p); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Write(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
