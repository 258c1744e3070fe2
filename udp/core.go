package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// Operation names used in error messages.
const (
	opReceive      = "receive"
	opSend         = "send"
	opReceiveBatch = "receive batch"
	opSendBatch    = "send batch"
)

// errClosed marks a call refused because the socket is closed; fail turns it
// into an error wrapping stream.ErrClosed.
var errClosed = stream.ErrClosed

// errReceiveTruncated is returned, prepared in advance so that a truncated
// datagram on the zero-allocation path still allocates nothing.
var errReceiveTruncated = fmt.Errorf("udp: %s: %w", opReceive, ErrTruncated)

// socket is what both socket types share: the descriptor, the two
// directions with their context handling, and closing.
type socket struct {
	conn      *net.UDPConn
	connected bool
	closing   chan struct{} // closed by Close; wakes calls waiting for a slot
	closed    atomic.Bool
	wclosed   atomic.Bool // CloseWrite was called
	closeOnce sync.Once

	recv, send deadline.Direction

	maxDatagram int
	scratch     []byte // Receive's buffer; guarded by the receive slot
	batch       batcher
}

func newSocket(conn *net.UDPConn, connected bool, cfg config) (*socket, error) {
	s := &socket{
		conn:        conn,
		connected:   connected,
		closing:     make(chan struct{}),
		recv:        deadline.NewDirection(conn.SetReadDeadline),
		send:        deadline.NewDirection(conn.SetWriteDeadline),
		maxDatagram: cfg.maxDatagram,
	}
	if err := s.batch.init(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// fail turns err from operation op into the error the caller sees.
func fail(op string, err error) error {
	switch {
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("udp: %s: %w", op, stream.ErrClosed)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("udp: %s: %w", op, err)
	case unreachable(err):
		return fmt.Errorf("udp: %s: %w", op, stream.Broken(err))
	default:
		return fmt.Errorf("udp: %s: %w", op, err)
	}
}

// unreachable reports whether err is the system relaying an ICMP error: the
// peer's port or host could not be reached.
func unreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH)
}

// beginReceive takes the receive slot for ctx.
func (s *socket) beginReceive(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return s.recv.Begin(ctx, s.closing)
}

// beginSend takes the send slot for ctx.
func (s *socket) beginSend(ctx context.Context) error {
	if s.closed.Load() || s.wclosed.Load() {
		return errClosed
	}
	return s.send.Begin(ctx, s.closing)
}

// receiveInto reads one datagram into buf. A datagram that did not fit is
// reported with errReceiveTruncated and n bytes kept.
func (s *socket) receiveInto(ctx context.Context, buf []byte) (int, netip.AddrPort, error) {
	if err := s.beginReceive(ctx); err != nil {
		return 0, netip.AddrPort{}, fail(opReceive, err)
	}
	n, from, err := s.readLocked(ctx, buf)
	s.recv.End()
	return n, from, err
}

// readLocked reads one datagram while the receive slot is held.
func (s *socket) readLocked(ctx context.Context, buf []byte) (int, netip.AddrPort, error) {
	for {
		n, _, flags, from, err := s.conn.ReadMsgUDPAddrPort(buf, nil)
		if err == nil {
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			if flags&msgTrunc != 0 {
				return n, from, errReceiveTruncated
			}
			return n, from, nil
		}
		if err = s.recv.Retry(ctx, err); err != nil {
			return 0, netip.AddrPort{}, fail(opReceive, err)
		}
	}
}

// receive reads one datagram into a fresh slice of its exact length.
func (s *socket) receive(ctx context.Context) ([]byte, netip.AddrPort, error) {
	if err := s.beginReceive(ctx); err != nil {
		return nil, netip.AddrPort{}, fail(opReceive, err)
	}
	if s.scratch == nil {
		s.scratch = make([]byte, s.maxDatagram)
	}
	n, from, err := s.readLocked(ctx, s.scratch)
	var data []byte
	if err == nil || errors.Is(err, ErrTruncated) {
		data = make([]byte, n)
		copy(data, s.scratch[:n])
	}
	s.recv.End()
	return data, from, err
}

// sendTo sends data as one datagram, to addr on an unconnected socket and to
// the peer on a connected one (addr is then the zero AddrPort).
func (s *socket) sendTo(ctx context.Context, data []byte, addr netip.AddrPort) error {
	if s.closed.Load() || s.wclosed.Load() {
		return fail(opSend, errClosed) // whatever the arguments
	}
	if !s.connected && !addr.IsValid() {
		return fmt.Errorf("udp: %s: invalid destination address %v", opSend, addr)
	}
	if err := s.beginSend(ctx); err != nil {
		return fail(opSend, err)
	}
	defer s.send.End()
	for {
		var err error
		if s.connected {
			_, err = s.conn.Write(data)
		} else {
			_, err = s.conn.WriteToUDPAddrPort(data, addr)
		}
		if err == nil {
			return nil
		}
		if err = s.send.Retry(ctx, err); err != nil {
			return fail(opSend, err)
		}
	}
}

// closeWrite makes later sends fail with stream.ErrClosed. Datagrams have no
// end-of-stream marker, so the peer is told nothing.
func (s *socket) closeWrite() error {
	s.wclosed.Store(true)
	return nil
}

// close closes the descriptor once, waking blocked calls. net.UDPConn.Close
// returns only after the descriptor is released, so the port is free again
// when close returns.
func (s *socket) close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.closing)
		s.recv.Close()
		s.send.Close()
		if cerr := s.conn.Close(); cerr != nil {
			err = fmt.Errorf("udp: close: %w", cerr)
		}
	})
	return err
}

// extra answers the attributes both socket types share.
func (s *socket) extra(key any) (any, bool) {
	switch key {
	case stream.LocalAddr:
		return s.conn.LocalAddr(), true
	case stream.LocalPort:
		return int(addrPort(s.conn.LocalAddr()).Port()), true
	case stream.RawSocket:
		return net.Conn(s.conn), true
	}
	return nil, false
}

// addrPort converts a *net.UDPAddr to a netip.AddrPort, unmapping IPv4
// addresses the system reports in their IPv6 form.
func addrPort(a net.Addr) netip.AddrPort {
	ua, ok := a.(*net.UDPAddr)
	if !ok || ua == nil {
		return netip.AddrPort{}
	}
	ap := ua.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
