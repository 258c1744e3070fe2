package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/anyio-go/anyio/stream"
)

// ConnectedSocket is a UDP socket connected to one peer: an object stream of
// []byte datagrams. The system drops datagrams from any other address.
//
// When the peer's port is closed, the system learns it from an ICMP message
// and the next Receive or Send fails with an error wrapping stream.ErrBroken
// and syscall.ECONNREFUSED. That error reports one event: the socket stays
// usable, and later calls succeed once the peer is back.
//
// Concurrency is as for Socket: concurrent senders never interleave,
// concurrent receivers take turns and each datagram goes to one of them.
type ConnectedSocket struct {
	s *socket
}

// Connect opens a UDP socket connected to address ("host:port"). A host
// name is resolved within ctx and the first address used. No datagram is
// exchanged, so Connect succeeds whether or not anyone listens. Options:
// WithLocalAddress, WithReusePort, WithMaxDatagramSize.
func Connect(ctx context.Context, address string, opts ...Option) (*ConnectedSocket, error) {
	cfg, err := newConfig(opts)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("udp: connect %s: %w", address, err)
	}
	var d net.Dialer
	if cfg.localAddress != "" {
		if d.LocalAddr, err = resolveLocal(ctx, cfg.localAddress); err != nil {
			return nil, fmt.Errorf("udp: connect %s: local address: %w", address, err)
		}
	}
	if cfg.reusePort {
		d.Control = controlReusePort
	}
	c, err := d.DialContext(ctx, "udp", address)
	if err != nil {
		return nil, fmt.Errorf("udp: connect %s: %w", address, err)
	}
	s, err := newSocket(c.(*net.UDPConn), true, cfg)
	if err != nil {
		return nil, fmt.Errorf("udp: connect %s: %w", address, err)
	}
	return &ConnectedSocket{s: s}, nil
}

// resolveLocal resolves a "host:port" local address within ctx.
func resolveLocal(ctx context.Context, address string) (*net.UDPAddr, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, "udp", portStr)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return &net.UDPAddr{Port: port}, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, errors.New("no address for " + host + ":" + strconv.Itoa(port))
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ips[0].Unmap(), uint16(port))), nil
}

// Receive waits for the next datagram from the peer and returns it in a
// freshly allocated slice of its exact length, which the caller owns. A
// datagram longer than the maximum datagram size (see WithMaxDatagramSize)
// is returned cut to that size together with an error wrapping
// ErrTruncated. It returns an error wrapping ctx's error when ctx ends
// first, stream.ErrClosed once the socket is closed, and stream.ErrBroken
// (wrapping the cause) when the system reports the peer unreachable. It
// never returns io.EOF.
func (u *ConnectedSocket) Receive(ctx context.Context) ([]byte, error) {
	data, _, err := u.s.receive(ctx)
	return data, err
}

// ReceiveInto waits for the next datagram and copies it into buf, returning
// its length; it allocates nothing. A datagram longer than buf is reported
// with an error wrapping ErrTruncated and n == len(buf): the bytes that fit
// are in buf, the rest is lost. Otherwise it behaves like Receive.
func (u *ConnectedSocket) ReceiveInto(ctx context.Context, buf []byte) (int, error) {
	n, _, err := u.s.receiveInto(ctx, buf)
	return n, err
}

// Send sends data to the peer as one datagram without allocating. It blocks
// only while the system's send buffer is full. A nil error means the system
// accepted the whole datagram; data is not retained. It fails with
// stream.ErrClosed after Close or CloseWrite, with stream.ErrBroken when the
// system reports the peer unreachable, and with the system's error
// (EMSGSIZE) for a datagram too large to send.
func (u *ConnectedSocket) Send(ctx context.Context, data []byte) error {
	return u.s.sendTo(ctx, data, netip.AddrPort{})
}

// ReceiveBatch is Socket.ReceiveBatch for a connected socket: every
// ps[i].Addr is set to the peer's address.
func (u *ConnectedSocket) ReceiveBatch(ctx context.Context, ps []Packet) (int, error) {
	return u.s.receiveBatch(ctx, ps)
}

// SendBatch is Socket.SendBatch for a connected socket: every datagram goes
// to the peer, and ps[i].Addr is ignored.
func (u *ConnectedSocket) SendBatch(ctx context.Context, ps []Packet) (int, error) {
	return u.s.sendBatch(ctx, ps)
}

// CloseWrite makes later sends fail with stream.ErrClosed while receiving
// goes on. UDP has no end-of-stream marker, so the peer is told nothing.
func (u *ConnectedSocket) CloseWrite() error { return u.s.closeWrite() }

// Close closes the socket. Blocked and later calls return an error wrapping
// stream.ErrClosed. The port is released before Close returns. Close is
// idempotent.
func (u *ConnectedSocket) Close() error { return u.s.close() }

// LocalAddr returns the address the socket is bound to.
func (u *ConnectedSocket) LocalAddr() netip.AddrPort { return addrPort(u.s.conn.LocalAddr()) }

// RemoteAddr returns the peer's address.
func (u *ConnectedSocket) RemoteAddr() netip.AddrPort { return addrPort(u.s.conn.RemoteAddr()) }

// Extra answers stream.LocalAddr, stream.LocalPort, stream.RemoteAddr,
// stream.RemotePort and stream.RawSocket (the *net.UDPConn).
func (u *ConnectedSocket) Extra(key any) (any, bool) {
	switch key {
	case stream.RemoteAddr:
		return u.s.conn.RemoteAddr(), true
	case stream.RemotePort:
		return int(u.RemoteAddr().Port()), true
	}
	return u.s.extra(key)
}
