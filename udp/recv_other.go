//go:build !linux

package udp

import "net/netip"

// single holds nothing where recvfrom cannot report a datagram's full
// length: there recvmsg and its truncation flag do the job.
type single struct{}

// readOne reads one datagram into buf with recvmsg.
func (s *socket) readOne(buf []byte) (int, netip.AddrPort, error) {
	n, _, flags, from, err := s.conn.ReadMsgUDPAddrPort(buf, nil)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if flags&msgTrunc != 0 {
		return n, from, errReceiveTruncated
	}
	return n, from, nil
}
