//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || aix

package tcp

import (
	"os"
	"syscall"
)

// controlReusePort sets SO_REUSEPORT on a socket before it is bound; it is
// a net.ListenConfig.Control function.
func controlReusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt SO_REUSEPORT", serr)
}
