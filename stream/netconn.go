package stream

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// NetConn returns a net.Conn that reads from and writes to s. Deadlines
// become contexts: each direction's deadline is presented to s as a context
// that ends when the deadline passes, and moving a deadline (even into the
// past) affects a Read or Write already blocked. It passes
// golang.org/x/net/nettest.TestConn.
//
// Reads are serialised, and so are Writes: where s would answer a second
// concurrent Receive with ErrBusy, the conn makes the second Read wait its
// turn (or its deadline). Write writes all of b or returns 0 and an error
// (after a timeout a prefix of b may have been sent).
//
// Read returns io.EOF unwrapped at end of stream. Errors are *net.OpError
// values: a passed deadline wraps os.ErrDeadlineExceeded (and Timeout
// reports true); after Close, Read, Write and the Set*Deadline methods
// return an error wrapping net.ErrClosed. Close closes s, which wakes pending
// calls; it returns s's error the first time and nil afterwards.
//
// The conn also has a CloseWrite method, reachable by a type assertion to
// interface{ CloseWrite() error }, that half-closes s. Its Extra method
// forwards every attribute to s. LocalAddr and RemoteAddr come from s's
// LocalAddr and RemoteAddr attributes, or a placeholder address when s has
// none.
func NetConn(s ByteStream) net.Conn {
	c := &netConn{
		s:       s,
		local:   ExtraOr[net.Addr](s, LocalAddr, nil),
		remote:  ExtraOr[net.Addr](s, RemoteAddr, nil),
		closing: make(chan struct{}),
	}
	if c.local == nil {
		c.local = streamAddr{}
	}
	if c.remote == nil {
		c.remote = streamAddr{}
	}
	c.read.init()
	c.write.init()
	return c
}

// streamAddr is the address of a stream that reports none.
type streamAddr struct{}

func (streamAddr) Network() string { return "stream" }
func (streamAddr) String() string  { return "stream" }

// netConn is the net.Conn made by NetConn.
type netConn struct {
	s             ByteStream
	local, remote net.Addr
	read, write   connHalf

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
}

// connHalf is one direction: a lock that a waiting call can give up on when
// its deadline passes or the conn closes, and the deadline itself.
type connHalf struct {
	lock chan struct{} // holds a token while a call runs
	dl   *deadline
}

func (h *connHalf) init() {
	h.lock = make(chan struct{}, 1)
	h.dl = newDeadline()
}

// acquire waits for h's turn and returns the context for the call.
func (h *connHalf) acquire(closing <-chan struct{}) (*deadlineContext, error) {
	select {
	case <-closing:
		return nil, net.ErrClosed
	default:
	}
	select {
	case h.lock <- struct{}{}:
		return h.dl.context(), nil
	default:
	}
	ctx := h.dl.context()
	select {
	case h.lock <- struct{}{}:
		return h.dl.context(), nil
	case <-ctx.Done():
		return nil, os.ErrDeadlineExceeded
	case <-closing:
		return nil, net.ErrClosed
	}
}

func (h *connHalf) release() { <-h.lock }

// Read reads up to len(b) bytes. See NetConn.
func (c *netConn) Read(b []byte) (int, error) {
	ctx, err := c.read.acquire(c.closing)
	if err != nil {
		return 0, c.opError("read", err)
	}
	n, err := c.s.Receive(ctx, b)
	c.read.release()
	if err != nil {
		if err == io.EOF {
			return n, io.EOF
		}
		return n, c.opError("read", c.mapError(ctx, err))
	}
	return n, nil
}

// Write writes all of b. See NetConn.
func (c *netConn) Write(b []byte) (int, error) {
	ctx, err := c.write.acquire(c.closing)
	if err != nil {
		return 0, c.opError("write", err)
	}
	err = c.s.Send(ctx, b)
	c.write.release()
	if err != nil {
		return 0, c.opError("write", c.mapError(ctx, err))
	}
	return len(b), nil
}

// CloseWrite half-closes the stream (see ByteStream.CloseWrite); it waits
// for a Write in progress, within the write deadline.
func (c *netConn) CloseWrite() error {
	ctx, err := c.write.acquire(c.closing)
	if err != nil {
		return c.opError("close write", err)
	}
	err = c.s.CloseWrite()
	c.write.release()
	if err != nil {
		return c.opError("close write", c.mapError(ctx, err))
	}
	return nil
}

// mapError turns a stream error into the error net.Conn users expect.
func (c *netConn) mapError(ctx *deadlineContext, err error) error {
	select {
	case <-c.closing:
		return net.ErrClosed
	default:
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return os.ErrDeadlineExceeded
	}
	return err
}

func (c *netConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.local.Network(), Source: c.local, Addr: c.remote, Err: err}
}

// Close closes the stream and wakes every pending call. See NetConn.
func (c *netConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closing)
		c.read.dl.stop()
		c.write.dl.stop()
		if e := c.s.Close(); e != nil {
			err = c.opError("close", e)
		}
	})
	return err
}

// LocalAddr returns the stream's local address.
func (c *netConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the stream's remote address.
func (c *netConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets both the read and the write deadline.
func (c *netConn) SetDeadline(t time.Time) error {
	if !c.read.dl.set(t) || !c.write.dl.set(t) {
		return c.opError("set", net.ErrClosed)
	}
	return nil
}

// SetReadDeadline sets the deadline for Read, including a Read in progress.
func (c *netConn) SetReadDeadline(t time.Time) error {
	if !c.read.dl.set(t) {
		return c.opError("set", net.ErrClosed)
	}
	return nil
}

// SetWriteDeadline sets the deadline for Write, including a Write in
// progress.
func (c *netConn) SetWriteDeadline(t time.Time) error {
	if !c.write.dl.set(t) {
		return c.opError("set", net.ErrClosed)
	}
	return nil
}

// Extra forwards every attribute to the stream.
func (c *netConn) Extra(key any) (any, bool) { return ForwardExtra(c.s, key) }
