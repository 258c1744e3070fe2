//go:build unix

package sockettest_test

import "syscall"

// getsockoptInt reads an integer socket option of the socket fd, as given
// to syscall.RawConn.Control.
func getsockoptInt(fd uintptr, level, opt int) (int, error) {
	return syscall.GetsockoptInt(int(fd), level, opt)
}
