package tcp_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio/tcp"
)

// getsockoptInt reads an integer socket option of the socket fd, as given
// to syscall.RawConn.Control.
func getsockoptInt(fd uintptr, level, opt int) (int, error) {
	return syscall.GetsockoptInt(syscall.Handle(fd), level, opt)
}

// tcpKeepIdle is TCP_KEEPIDLE from ws2ipdef.h, which package syscall lacks.
const tcpKeepIdle = 3

// keepAliveIdle returns the keep-alive idle time of s's socket. It skips
// the test on Windows older than 10 version 1709, where the option cannot
// be read.
func keepAliveIdle(t *testing.T, s *tcp.Stream) time.Duration {
	t.Helper()
	secs, err := trySockopt(t, s, syscall.IPPROTO_TCP, tcpKeepIdle)
	if err != nil {
		t.Skip("cannot read TCP_KEEPIDLE on this Windows:", err)
	}
	return time.Duration(secs) * time.Second
}
