//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || aix)

package udp

import (
	"fmt"
	"runtime"
	"syscall"
)

// controlReusePort fails: this system has no SO_REUSEPORT.
func controlReusePort(_, _ string, _ syscall.RawConn) error {
	return fmt.Errorf("SO_REUSEPORT is not supported on %s", runtime.GOOS)
}
