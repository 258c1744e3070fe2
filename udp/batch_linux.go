package udp

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// forceLoop makes the batch calls use the portable one-datagram-per-call
// loops, so that tests exercise them on Linux too.
var forceLoop = false

// mmsghdr is struct mmsghdr from <sys/socket.h>: a message header and the
// byte count the kernel fills in. Go lays it out as C does on every Linux
// port (the trailing padding on 64-bit ports included).
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
}

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn share: sendmmsg
// over the socket. Their Message types are the same type.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// batcher holds the scratch space of the batch calls, reused from call to
// call so that the steady state allocates nothing. The receive half is
// guarded by the socket's receive slot, the send half by its send slot.
//
// Sending goes through golang.org/x/net's WriteBatch (sendmmsg). Receiving
// calls recvmmsg itself: x/net's ReadBatch reports each sender as a freshly
// allocated *net.UDPAddr, two allocations per datagram that netip addresses
// parsed here from the raw sockaddr avoid.
type batcher struct {
	raw syscall.RawConn

	hdrs   []mmsghdr
	iovs   []syscall.Iovec
	names  []syscall.RawSockaddrInet6
	zone   zoneCache
	count  int   // headers passed to recvmmsg
	got    int   // datagrams it received
	rerr   error // its error
	recvFn func(fd uintptr) bool

	w     batchWriter
	msgs  []ipv4.Message
	bufs  [][]byte
	addrs []net.UDPAddr
	ips   [][net.IPv6len]byte
}

func (b *batcher) init(conn *net.UDPConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	b.raw = raw
	b.recvFn = b.recvmmsg // bound once: a method value made per call would allocate
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() != nil {
		b.w = ipv4.NewPacketConn(conn)
	} else {
		b.w = ipv6.NewPacketConn(conn)
	}
	return nil
}

// readBatch makes one recvmmsg call over ps (len(ps) ≤ maxBatch), waiting
// in the poller until at least one datagram is there. It returns the count,
// the index of the first truncated datagram (or -1) and the error.
func (s *socket) readBatch(ps []Packet) (int, int, error) {
	if forceLoop {
		return s.loopRead(ps)
	}
	b := &s.batch
	b.prepareRead(ps)
	err := b.raw.Read(b.recvFn)
	if err == nil {
		err = b.rerr
	}
	truncated := -1
	if err == nil {
		for i := range b.got {
			h := &b.hdrs[i]
			ps[i].Data = ps[i].Data[:h.n]
			ps[i].Addr = b.sockaddrAddrPort(&b.names[i])
			if h.hdr.Flags&syscall.MSG_TRUNC != 0 && truncated < 0 {
				truncated = i
			}
		}
	}
	// Drop the references to the caller's buffers.
	for i := range b.count {
		b.iovs[i].Base = nil
	}
	if err != nil {
		return 0, -1, err
	}
	return b.got, truncated, nil
}

// prepareRead points one header at each entry's buffer, at its capacity.
func (b *batcher) prepareRead(ps []Packet) {
	n := len(ps)
	if n > len(b.hdrs) {
		b.hdrs = make([]mmsghdr, n)
		b.iovs = make([]syscall.Iovec, n)
		b.names = make([]syscall.RawSockaddrInet6, n)
	}
	for i := range n {
		d := ps[i].Data[:cap(ps[i].Data)]
		iov := &b.iovs[i]
		iov.Base = nil
		if len(d) > 0 {
			iov.Base = &d[0]
		}
		iov.SetLen(len(d))
		b.hdrs[i] = mmsghdr{}
		h := &b.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Namelen = syscall.SizeofSockaddrInet6
		h.Iov = iov
		h.Iovlen = 1
	}
	b.count = n
}

// recvmmsg is the raw read function: it reports false (wait for the socket
// to become readable) while nothing is queued.
func (b *batcher) recvmmsg(fd uintptr) bool {
	for {
		r, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, fd,
			uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(b.count), 0, 0, 0)
		switch errno {
		case 0:
			b.got, b.rerr = int(r), nil
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			b.got, b.rerr = 0, os.NewSyscallError("recvmmsg", errno)
			return true
		}
	}
}

// sockaddrAddrPort reads a sockaddr_in or sockaddr_in6 filled in by the
// kernel. IPv4 peers of a dual-stack socket come out as plain IPv4.
func (b *batcher) sockaddrAddrPort(sa *syscall.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case syscall.AF_INET:
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), networkOrder(&sa4.Port))
	case syscall.AF_INET6:
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && ip.Is6() {
			ip = ip.WithZone(b.zone.name(int(sa.Scope_id)))
		}
		return netip.AddrPortFrom(ip, networkOrder(&sa.Port))
	}
	return netip.AddrPort{}
}

// networkOrder reads a port the kernel stored in network byte order.
func networkOrder(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// zoneCache names the IPv6 scope of link-local peers as net does: by its
// interface name, or its number when the interface is gone. It remembers
// the last scope named for a while, as net's own cache does, since looking
// an interface up asks the kernel for the whole list (dozens of
// allocations) and a batch's datagrams mostly share one scope. Guarded by
// the receive slot.
type zoneCache struct {
	index int
	zone  string
	at    time.Time
}

// zoneCacheTTL is how long a scope's name is trusted: an interface can be
// renamed, or its number reused.
const zoneCacheTTL = time.Minute

// name returns the zone name of scope index.
func (z *zoneCache) name(index int) string {
	if index == z.index && z.zone != "" && time.Since(z.at) < zoneCacheTTL {
		return z.zone
	}
	name := strconv.Itoa(index)
	if ifi, err := net.InterfaceByIndex(index); err == nil {
		name = ifi.Name
	}
	z.index, z.zone, z.at = index, name, time.Now()
	return name
}

// writeBatch makes one sendmmsg call over ps (len(ps) ≤ maxBatch) and
// returns how many datagrams went out.
func (s *socket) writeBatch(ps []Packet) (int, error) {
	if forceLoop {
		return s.loopWrite(ps, s.connected)
	}
	b := &s.batch
	b.prepareWrite(ps, s.connected)
	n, err := b.w.WriteBatch(b.msgs[:len(ps)], 0)
	clear(b.bufs[:len(ps)]) // drop the references to the caller's buffers
	if n < 0 {
		n = 0 // x/net passes on sendmmsg's -1 with its error
	}
	return n, err
}

// prepareWrite builds one message per entry, with the destination address
// in a reused *net.UDPAddr (none on a connected socket).
func (b *batcher) prepareWrite(ps []Packet, connected bool) {
	n := len(ps)
	if n > len(b.msgs) {
		b.msgs = make([]ipv4.Message, n)
		b.bufs = make([][]byte, n)
		b.addrs = make([]net.UDPAddr, n)
		b.ips = make([][net.IPv6len]byte, n)
	}
	for i := range n {
		b.bufs[i] = ps[i].Data
		m := &b.msgs[i]
		*m = ipv4.Message{Buffers: b.bufs[i : i+1 : i+1]}
		if connected {
			continue
		}
		ua := &b.addrs[i]
		ip := ps[i].Addr.Addr()
		// x/net sends an address whose To4 is not nil (IPv4, plain or
		// mapped) as a sockaddr_in, which dual-stack sockets accept too.
		b.ips[i] = ip.As16()
		ua.IP = b.ips[i][:]
		ua.Port = int(ps[i].Addr.Port())
		ua.Zone = ip.Zone()
		m.Addr = ua
	}
}
