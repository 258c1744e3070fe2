//go:build aix || dragonfly || freebsd || illumos || linux || netbsd

package tcp_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/anyio-go/anyio/tcp"
)

// keepAliveIdle returns the keep-alive idle time of s's socket: its
// TCP_KEEPIDLE, in seconds.
func keepAliveIdle(t *testing.T, s *tcp.Stream) time.Duration {
	t.Helper()
	return time.Duration(sockopt(t, s, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)) * time.Second
}
