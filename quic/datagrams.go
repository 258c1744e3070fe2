package quic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// Errors of Datagrams returned without allocating.
var (
	errDatagramReceiveClosed = fmt.Errorf("quic: receive datagram: %w", stream.ErrClosed)
	errDatagramSendClosed    = fmt.Errorf("quic: send datagram: %w", stream.ErrClosed)
)

// Datagrams is the unreliable object stream of a connection's datagrams
// (RFC 9221): each Send is one datagram, which may be lost or reordered on
// the way, and each Receive returns one. It implements
// stream.ObjectSender[[]byte] and stream.ObjectReceiver[[]byte].
//
// Receive returns io.EOF, unwrapped, once the peer closed the connection with
// code 0 (Close), and stream.ErrBroken wrapping the cause when the
// connection ended otherwise. Receives and Sends may be called from several
// goroutines at once (Receives take turns). Closing Datagrams does not close
// the connection.
type Datagrams struct {
	conn    *Conn
	recv    deadline.Direction // maps Receive's ctx onto inner
	closed  atomic.Bool
	closing chan struct{}

	// inner is the context of quic-go's ReceiveDatagram call: recv cancels
	// it when the caller's ctx ends, Close when Datagrams closes.
	mu     sync.Mutex // guards inner and cancel
	inner  context.Context
	cancel context.CancelFunc
}

var (
	_ stream.ObjectSender[[]byte]   = (*Datagrams)(nil)
	_ stream.ObjectReceiver[[]byte] = (*Datagrams)(nil)
)

// Datagrams returns the connection's datagrams, the same value on every
// call. It is an error wrapping ErrDatagramsUnsupported unless both this end
// and the peer enabled datagrams (Config.EnableDatagrams).
func (c *Conn) Datagrams() (*Datagrams, error) {
	st := c.qc.ConnectionState().SupportsDatagrams
	switch {
	case !st.Local:
		return nil, fmt.Errorf("%w: not enabled in this end's Config (EnableDatagrams)", ErrDatagramsUnsupported)
	case !st.Remote:
		return nil, fmt.Errorf("%w: the peer did not enable them", ErrDatagramsUnsupported)
	}
	c.datagramsOnce.Do(func() { c.datagrams = newDatagrams(c) })
	return c.datagrams, nil
}

func newDatagrams(c *Conn) *Datagrams {
	d := &Datagrams{conn: c, closing: make(chan struct{})}
	d.inner, d.cancel = context.WithCancel(context.Background())
	d.recv = deadline.NewDirection(d.setDeadline)
	return d
}

// setDeadline is the Direction's view of inner: a deadline in the past
// cancels it, and clearing the deadline replaces a cancelled one.
func (d *Datagrams) setDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !t.IsZero():
		d.cancel()
	case d.inner.Err() != nil && !d.closed.Load():
		d.inner, d.cancel = context.WithCancel(context.Background())
	}
	return nil
}

func (d *Datagrams) current() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inner
}

// Receive returns the next datagram, waiting for one. The slice is the
// caller's.
func (d *Datagrams) Receive(ctx context.Context) ([]byte, error) {
	if d.closed.Load() {
		return nil, errDatagramReceiveClosed
	}
	if err := d.recv.Begin(ctx, d.closing); err != nil {
		return nil, d.receiveError(ctx, err)
	}
	defer d.recv.End()
	for {
		inner := d.current()
		data, err := d.conn.qc.ReceiveDatagram(inner)
		if err == nil {
			return data, nil
		}
		if inner.Err() == nil {
			return nil, d.receiveError(ctx, err)
		}
		// inner was cancelled: Close, the ctx, or a stale wake-up that
		// Retry clears.
		if d.closed.Load() {
			return nil, errDatagramReceiveClosed
		}
		if err = d.recv.Retry(ctx, os.ErrDeadlineExceeded); err != nil {
			return nil, d.receiveError(ctx, err)
		}
	}
}

// receiveError maps an error that ended a Receive with ctx.
func (d *Datagrams) receiveError(ctx context.Context, err error) error {
	switch cerr := ctx.Err(); {
	case d.closed.Load(), errors.Is(err, stream.ErrClosed):
		return errDatagramReceiveClosed
	case cerr != nil && err == cerr:
		return fmt.Errorf("quic: receive datagram: %w", cerr)
	case peerClosedCleanly(err):
		return io.EOF
	}
	return connError("receive datagram", err)
}

// Send sends data as one datagram. It does not retain data. It returns
// once the datagram is queued for sending, which waits only while the
// connection's queue of 32 outgoing datagrams is full (ctx is checked
// before, not during that wait). A datagram larger than a packet can carry
// is an error wrapping *quicgo.DatagramTooLargeError, which reports the
// largest size that fits; the connection stays usable.
func (d *Datagrams) Send(ctx context.Context, data []byte) error {
	if d.closed.Load() {
		return errDatagramSendClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("quic: send datagram: %w", err)
	}
	err := d.conn.qc.SendDatagram(data)
	if err == nil {
		return nil
	}
	var tooLarge *quicgo.DatagramTooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("quic: send datagram: %w", err)
	}
	return connError("send datagram", err)
}

// Close makes later calls return stream.ErrClosed and wakes a blocked
// Receive with it. The connection stays open. It is idempotent.
func (d *Datagrams) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(d.closing)
	d.recv.Close()
	d.mu.Lock()
	d.cancel()
	d.mu.Unlock()
	return nil
}
