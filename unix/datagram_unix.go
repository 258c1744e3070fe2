//go:build unix

package unix

import (
	"net"
	"os"
	"syscall"
)

// msgTrunc is the flag recvmsg sets when a datagram was longer than the
// buffer.
const msgTrunc = syscall.MSG_TRUNC

// connectRaw connects a bound datagram socket to path. Datagram connects
// complete at once.
func connectRaw(conn *net.UnixConn, path string) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		for {
			cerr = syscall.Connect(int(fd), &syscall.SockaddrUnix{Name: path})
			if cerr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return os.NewSyscallError("connect", cerr)
}
