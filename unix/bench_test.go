package unix_test

import (
	"context"
	"net"
	"testing"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
)

// BenchmarkBulk sends 64 KiB at a time one way: unix.Stream against the
// *net.UnixConn it wraps.
func BenchmarkBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("unix", func(b *testing.B) {
		path := sockPath(b)
		c, s := pair(b, listen(b, path), path)
		sockettest.BulkStream(b, c, s, chunk)
	})
	b.Run("net", func(b *testing.B) {
		path := sockPath(b)
		ln, err := net.Listen("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		cc, err := net.Dial("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		sc, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer sc.Close()
		sockettest.BulkConn(b, cc.(*net.UnixConn), sc.(*net.UnixConn), chunk)
	})
}

// BenchmarkSendFDs passes one descriptor per message, against the same
// done with WriteMsgUnix and ReadMsgUnix directly.
func BenchmarkSendFDs(b *testing.B) {
	b.Run("unix", func(b *testing.B) {
		path := sockPath(b)
		c, s := pair(b, listen(b, path), path)
		f := devNull(b)
		ctx := context.Background()
		buf := make([]byte, 1)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.SendFDs(ctx, []byte("x"), f); err != nil {
				b.Fatal(err)
			}
			_, files, err := s.ReceiveFDs(ctx, buf, 1)
			if err != nil || len(files) != 1 {
				b.Fatal(err, len(files))
			}
			files[0].Close()
		}
	})
	b.Run("net", func(b *testing.B) {
		path := sockPath(b)
		c, s := pair(b, listen(b, path), path)
		cc := stream.ExtraOr[net.Conn](c, stream.RawSocket, nil).(*net.UnixConn)
		sc := stream.ExtraOr[net.Conn](s, stream.RawSocket, nil).(*net.UnixConn)
		f := devNull(b)
		buf, oob := make([]byte, 1), make([]byte, 64)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := cc.WriteMsgUnix([]byte("x"), unixRights(f), nil); err != nil {
				b.Fatal(err)
			}
			_, oobn, _, _, err := sc.ReadMsgUnix(buf, oob)
			if err != nil {
				b.Fatal(err)
			}
			closeRights(b, oob[:oobn])
		}
	})
}
