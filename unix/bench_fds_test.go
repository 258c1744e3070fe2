//go:build unix

package unix_test

import (
	"context"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/anyio-go/anyio/stream"
)

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

// devNull opens the null device, closed when the benchmark ends.
func devNull(b *testing.B) *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// unixRights encodes f's descriptor as an SCM_RIGHTS control message.
func unixRights(f *os.File) []byte { return syscall.UnixRights(int(f.Fd())) }

// closeRights closes the descriptors received in the control message oob.
func closeRights(b *testing.B, oob []byte) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		b.Fatal(err)
	}
	for i := range msgs {
		fds, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			b.Fatal(err)
		}
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
}
