package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Socket is an unconnected UDP socket: an object stream of Packets that
// receives from and sends to any peer.
//
// All methods are safe for concurrent use. Concurrent senders never
// interleave (each datagram is sent whole). Concurrent receivers are allowed
// and take turns: each datagram goes to exactly one of them. A receiver
// waiting its turn still honours its context and Close.
//
// Datagrams are unreliable: Receive never reports end of stream, and a nil
// error from Send means the system accepted the datagram, not that the peer
// got it.
type Socket struct {
	s *socket
}

// Listen opens a UDP socket bound to address ("host:port"; an empty host
// binds every local address, port 0 picks a free port). A host name that
// resolves to several addresses is bound at the first of them. ctx bounds
// the name resolution. Options: WithReusePort, WithMaxDatagramSize;
// WithLocalAddress is rejected.
func Listen(ctx context.Context, address string, opts ...Option) (*Socket, error) {
	cfg, err := newConfig(opts)
	if err == nil && cfg.localAddress != "" {
		err = errors.New("WithLocalAddress applies to Connect only")
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("udp: listen %s: %w", address, err)
	}
	var lc net.ListenConfig
	if cfg.reusePort {
		lc.Control = controlReusePort
	}
	pc, err := lc.ListenPacket(ctx, "udp", address)
	if err != nil {
		return nil, fmt.Errorf("udp: listen %s: %w", address, err)
	}
	s, err := newSocket(pc.(*net.UDPConn), false, cfg)
	if err != nil {
		return nil, fmt.Errorf("udp: listen %s: %w", address, err)
	}
	return &Socket{s: s}, nil
}

// Receive waits for the next datagram and returns it in a freshly allocated
// Data of its exact length, which the caller owns. A datagram longer than
// the maximum datagram size (see WithMaxDatagramSize) is returned cut to that
// size together with an error wrapping ErrTruncated. It returns an error
// wrapping ctx's error when ctx ends first, and stream.ErrClosed once the
// socket is closed. It never returns io.EOF.
func (u *Socket) Receive(ctx context.Context) (Packet, error) {
	data, from, err := u.s.receive(ctx)
	return Packet{Data: data, Addr: from}, err
}

// ReceiveInto waits for the next datagram and copies it into buf, returning
// its length and sender; it allocates nothing. A datagram longer than buf is
// reported with an error wrapping ErrTruncated and n == len(buf): the bytes
// that fit are in buf, the rest is lost. Otherwise it behaves like Receive.
func (u *Socket) ReceiveInto(ctx context.Context, buf []byte) (n int, from netip.AddrPort, err error) {
	return u.s.receiveInto(ctx, buf)
}

// Send sends p.Data as one datagram to p.Addr. It is SendTo(ctx, p.Data,
// p.Addr).
func (u *Socket) Send(ctx context.Context, p Packet) error {
	return u.s.sendTo(ctx, p.Data, p.Addr)
}

// SendTo sends data as one datagram to addr without allocating. It blocks
// only while the system's send buffer is full. A nil error means the system
// accepted the whole datagram; data is not retained. It fails with
// stream.ErrClosed after Close or CloseWrite, and with the system's error
// (EMSGSIZE) for a datagram too large to send.
func (u *Socket) SendTo(ctx context.Context, data []byte, addr netip.AddrPort) error {
	return u.s.sendTo(ctx, data, addr)
}

// ReceiveBatch waits until at least one datagram is available and then
// receives as many as are queued, up to len(ps), in one system call where
// the system has recvmmsg (elsewhere, one per call). Each datagram is read
// into ps[i].Data[:cap(ps[i].Data)] — the caller provides the buffers — and
// ps[i].Data is resliced to its length and ps[i].Addr set to its sender. It
// returns how many entries were filled. Datagrams that did not fit keep the
// bytes that did, and the error then wraps ErrTruncated and names the first
// such entry; n still counts every entry filled. In steady state it
// allocates nothing. With len(ps) == 0 it returns 0 at once, even while
// another call is receiving (or the error of a closed socket or an ended
// ctx).
func (u *Socket) ReceiveBatch(ctx context.Context, ps []Packet) (int, error) {
	return u.s.receiveBatch(ctx, ps)
}

// SendBatch sends ps[i].Data to ps[i].Addr for each entry, in order, with as
// few system calls as the system allows (sendmmsg on Linux). It returns how
// many datagrams were sent: len(ps) with a nil error, fewer with the error
// that stopped it. In steady state it allocates nothing. With len(ps) == 0
// it returns 0 at once, like ReceiveBatch.
func (u *Socket) SendBatch(ctx context.Context, ps []Packet) (int, error) {
	return u.s.sendBatch(ctx, ps)
}

// CloseWrite makes later sends fail with stream.ErrClosed while receiving
// goes on. UDP has no end-of-stream marker, so peers are told nothing.
func (u *Socket) CloseWrite() error { return u.s.closeWrite() }

// Close closes the socket. Blocked and later calls return an error wrapping
// stream.ErrClosed. The port is released before Close returns, so it can be
// bound again at once. Close is idempotent.
func (u *Socket) Close() error { return u.s.close() }

// LocalAddr returns the address the socket is bound to.
func (u *Socket) LocalAddr() netip.AddrPort { return addrPort(u.s.conn.LocalAddr()) }

// Extra answers stream.LocalAddr, stream.LocalPort and stream.RawSocket (the
// *net.UDPConn).
func (u *Socket) Extra(key any) (any, bool) { return u.s.extra(key) }
