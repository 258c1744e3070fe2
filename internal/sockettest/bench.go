package sockettest

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/anyio-go/anyio/stream"
)

// HalfCloser is a net.Conn that can shut down its sending side, as
// *net.TCPConn and *net.UnixConn can.
type HalfCloser interface {
	net.Conn
	CloseWrite() error
}

// BulkStream is the body of a bulk-transfer benchmark: it sends chunk bytes
// at a time from c for b.Loop while a goroutine drains s, then half-closes
// c and waits for the drain to see the end.
func BulkStream(b *testing.B, c, s stream.ByteStream, chunk int) {
	ctx := context.Background()
	done := make(chan struct{})
	go drain(stream.Reader(ctx, s), make([]byte, chunk), done)
	p := make([]byte, chunk)
	b.SetBytes(int64(chunk))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	<-done
}

// BulkConn is BulkStream's baseline on the net.Conns a transport wraps.
func BulkConn(b *testing.B, c, s HalfCloser, chunk int) {
	done := make(chan struct{})
	go drain(s, make([]byte, chunk), done)
	p := make([]byte, chunk)
	b.SetBytes(int64(chunk))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(p); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	<-done
}

// drain reads from r until EOF or error, then closes done.
func drain(r io.Reader, buf []byte, done chan<- struct{}) {
	defer close(done)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}
