// Package udp provides UDP sockets as object streams: an unconnected socket
// (Listen) is a stream of Packets, each carrying its peer's address, and a
// connected socket (Connect) is a stream of []byte datagrams exchanged with
// one peer.
//
// Datagrams are unreliable: they may be lost, duplicated or reordered, and
// there is no end of stream. Receive never returns io.EOF; it blocks until a
// datagram arrives, the context ends or the socket is closed.
//
// Three ways to move datagrams, from simplest to fastest:
//
//   - Receive and Send, the object-stream methods. Receive returns a freshly
//     allocated copy of each datagram.
//   - ReceiveInto, SendTo (and Send on a ConnectedSocket): the caller
//     provides the buffer, and nothing is allocated per call.
//   - ReceiveBatch and SendBatch move many datagrams per system call
//     (recvmmsg and sendmmsg on Linux) into and out of caller buffers.
//
// Contexts work as everywhere in this module: a blocked call returns
// promptly with the context's error when it ends, without a goroutine per
// call, and an already-ended context fails a call before it touches the
// socket. Close wakes blocked calls with stream.ErrClosed and releases the
// port before it returns.
package udp

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/anyio-go/anyio/stream"
)

// Packet is a datagram with the address of its peer: the sender for a
// received Packet, the destination for one being sent.
type Packet struct {
	Data []byte
	Addr netip.AddrPort
}

// ErrTruncated is reported when a datagram was larger than the buffer it was
// received into. The bytes that fit are still delivered (n counts them, or
// Data holds them); the rest of the datagram is lost. Errors returned for a
// truncated datagram wrap ErrTruncated.
var ErrTruncated = errors.New("udp: datagram truncated")

// DefaultMaxDatagramSize is the receive buffer size Receive uses unless
// WithMaxDatagramSize says otherwise: the largest datagram UDP can carry.
const DefaultMaxDatagramSize = 65535

// Option configures Listen and Connect.
type Option func(*config)

type config struct {
	localAddress string
	reusePort    bool
	maxDatagram  int
}

// WithLocalAddress binds a connected socket to addr ("host:port"; an empty
// host or port 0 lets the system choose) before it connects. Listen rejects
// it: give Listen the address itself.
func WithLocalAddress(addr string) Option {
	return func(c *config) { c.localAddress = addr }
}

// WithReusePort sets SO_REUSEPORT before binding, so several sockets can
// bind the same address and port (the kernel spreads incoming datagrams
// among them). It fails on systems without SO_REUSEPORT.
func WithReusePort() Option {
	return func(c *config) { c.reusePort = true }
}

// WithMaxDatagramSize sets the size of the buffer Receive reads into, from 1
// to 65535 (the default). A larger datagram is delivered cut to n bytes
// together with an error wrapping ErrTruncated. It does not limit sending,
// nor ReceiveInto and ReceiveBatch, which use the caller's buffers.
func WithMaxDatagramSize(n int) Option {
	return func(c *config) { c.maxDatagram = n }
}

func newConfig(opts []Option) (config, error) {
	c := config{maxDatagram: DefaultMaxDatagramSize}
	for _, o := range opts {
		o(&c)
	}
	if c.maxDatagram < 1 || c.maxDatagram > DefaultMaxDatagramSize {
		return c, fmt.Errorf("WithMaxDatagramSize(%d): want 1 to %d", c.maxDatagram, DefaultMaxDatagramSize)
	}
	return c, nil
}

// The socket types are object streams.
var (
	_ stream.ObjectStream[Packet] = (*Socket)(nil)
	_ stream.ObjectStream[[]byte] = (*ConnectedSocket)(nil)
)
