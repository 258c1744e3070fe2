//go:build !(aix || dragonfly || freebsd || illumos || linux || netbsd || darwin || windows)

package tcp_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/anyio-go/anyio/tcp"
)

// keepAliveIdle skips the test: reading the keep-alive idle time back is
// not implemented for this system.
func keepAliveIdle(t *testing.T, _ *tcp.Stream) time.Duration {
	t.Helper()
	t.Skip("reading the keep-alive idle time is not implemented on", runtime.GOOS)
	return 0
}
