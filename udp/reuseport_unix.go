//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || aix

package udp

import (
	"os"
	"syscall"
)

// controlReusePort sets SO_REUSEPORT on a socket before it is bound. It is a
// net.ListenConfig and net.Dialer Control function.
func controlReusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	}); err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt SO_REUSEPORT", serr)
}
