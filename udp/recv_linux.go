package udp

import (
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// single is the state of one recvfrom call made through the raw socket,
// kept on the socket so that the bound read function allocates nothing.
// It is guarded by the receive slot.
type single struct {
	buf     []byte
	name    syscall.RawSockaddrInet6
	namelen uint32
	named   bool // ask for the sender's address (unconnected sockets)
	n       int  // the datagram's full length, which may exceed len(buf)
	err     error
	readFn  func(fd uintptr) bool
}

// readOne reads one datagram into buf with recvfrom and MSG_TRUNC, which
// makes Linux report the datagram's full length: one system call that both
// fills buf and says whether the datagram fitted, cheaper than recvmsg.
func (s *socket) readOne(buf []byte) (int, netip.AddrPort, error) {
	r := &s.one
	if r.readFn == nil {
		r.readFn = r.recvfrom // bound once: a method value made per call would allocate
	}
	r.buf, r.named = buf, !s.connected
	err := s.batch.raw.Read(r.readFn)
	r.buf = nil // drop the reference to the caller's buffer
	if err == nil {
		err = r.err
	}
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	var from netip.AddrPort
	if r.named {
		from = sockaddrAddrPort(&r.name)
	} else {
		from = s.remote
	}
	if r.n > len(buf) {
		return len(buf), from, errReceiveTruncated
	}
	return r.n, from, nil
}

// recvfrom is the raw read function: it reports false (wait for the socket
// to become readable) while nothing is queued.
func (r *single) recvfrom(fd uintptr) bool {
	var p unsafe.Pointer
	if len(r.buf) > 0 {
		p = unsafe.Pointer(&r.buf[0])
	}
	for {
		var n uintptr
		var errno syscall.Errno
		if r.named {
			r.namelen = syscall.SizeofSockaddrInet6
			n, _, errno = syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(p), uintptr(len(r.buf)),
				syscall.MSG_TRUNC, uintptr(unsafe.Pointer(&r.name)), uintptr(unsafe.Pointer(&r.namelen)))
		} else {
			n, _, errno = syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(p), uintptr(len(r.buf)),
				syscall.MSG_TRUNC, 0, 0)
		}
		switch errno {
		case 0:
			r.n, r.err = int(n), nil
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.n, r.err = 0, os.NewSyscallError("recvfrom", errno)
			return true
		}
	}
}
