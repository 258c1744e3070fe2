package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// FromNetConn returns a ByteStream that reads from and writes to c. Contexts
// become deadlines on c: a ctx deadline is set as the conn's read or write
// deadline, and cancelling a ctx sets a deadline in the past to wake the
// blocked call. No goroutine is started per call, and a call with
// context.Background, or with the same cancellable ctx as the previous call
// in that direction (the usual handler loop), allocates nothing.
//
// The stream owns c and its deadlines: callers must not set deadlines on c
// (or on the RawSocket attribute) while the stream is in use. The deadlines c
// had before are cleared.
//
// Receive returns io.EOF unwrapped when the peer has closed its sending side,
// and keeps returning it. Transport failures (a reset, a broken pipe) are
// errors wrapping both ErrBroken and the cause, so errors.Is(err,
// syscall.ECONNRESET) still holds; they are sticky for that direction. After
// Close every call returns ErrClosed.
//
// CloseWrite uses c's CloseWrite method when it has one (*net.TCPConn,
// *net.UnixConn, *tls.Conn) and otherwise returns an error wrapping
// errors.ErrUnsupported. Close closes c without waiting for the peer.
//
// Extra answers LocalAddr, RemoteAddr, RawSocket (c itself) and, for
// *net.TCPAddr and *net.UDPAddr addresses, LocalPort and RemotePort. When c
// itself provides attributes (for instance a conn made by NetConn), every
// key is asked of c first.
//
// A stream whose Close is never called stays referenced by the last
// cancellable ctx it was given until that ctx ends.
func FromNetConn(c net.Conn) ByteStream {
	s := &netConnStream{conn: c}
	s.cw, _ = c.(interface{ CloseWrite() error })
	s.recv.setDeadline = c.SetReadDeadline
	s.send.setDeadline = c.SetWriteDeadline
	_ = c.SetDeadline(time.Time{})
	return s
}

// Errors returned without allocating on the paths that are hit repeatedly.
var (
	errReceiveClosed     = fmt.Errorf("stream: receive: %w", ErrClosed)
	errReceiveBusy       = fmt.Errorf("stream: receive: %w", ErrBusy)
	errSendClosed        = fmt.Errorf("stream: send: %w", ErrClosed)
	errSendBusy          = fmt.Errorf("stream: send: %w", ErrBusy)
	errCloseWriteClosed  = fmt.Errorf("stream: close write: %w", ErrClosed)
	errCloseWriteBusy    = fmt.Errorf("stream: close write: %w", ErrBusy)
	errCloseWriteUnsupp  = fmt.Errorf("stream: close write: %w", errors.ErrUnsupported)
	errReceiveNoProgress = fmt.Errorf("stream: receive: %w", Broken(io.ErrNoProgress))
)

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked call.
var aLongTimeAgo = time.Unix(1, 0)

// netConnStream is the ByteStream made by FromNetConn.
type netConnStream struct {
	conn net.Conn
	cw   interface{ CloseWrite() error } // nil when conn cannot half-close

	recv, send direction

	closed      atomic.Bool // set once by Close, before the conn is closed
	writeClosed atomic.Bool // set by a successful CloseWrite
}

// direction is the per-direction state that turns contexts into deadlines.
//
// The goroutine holding busy owns deadline, deadlineKnown, done and err. The
// fields under mu are shared with the ctx callback and with Close.
//
// The callback registered with context.AfterFunc for the current ctx stays
// registered across calls, so a loop that reuses one ctx registers once.
// When that ctx ends the callback sets a deadline in the past, which wakes a
// call in flight; the next call sees kicked and sets the deadline it needs.
type direction struct {
	busy        atomic.Bool
	setDeadline func(time.Time) error

	deadline      time.Time // the deadline last set on the conn
	deadlineKnown bool      // false once a kick replaced deadline
	done          <-chan struct{}
	err           error // sticky: io.EOF or a broken error

	mu     sync.Mutex // guards the following
	gen    uint64     // identifies the current registration
	stop   func() bool
	kicked bool
}

// begin prepares a call with ctx: it fails when ctx is already done or the
// stream is closed, keeps the AfterFunc registration in step with ctx and
// sets the conn deadline when it changed. The caller holds d.busy.
func (d *direction) begin(ctx context.Context, closed *atomic.Bool, op string) error {
	dl, hasDeadline := ctx.Deadline()
	if hasDeadline && !time.Now().Before(dl) {
		return ctxError(op, context.DeadlineExceeded)
	}
	done := ctx.Done()
	if done == nil && d.done == nil {
		// No registration can kick this call: skip the lock.
		if err := ctx.Err(); err != nil {
			return ctxError(op, err)
		}
		d.applyDeadline(dl)
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if closed.Load() {
		return errClosedOp(op)
	}
	if done != d.done {
		d.register(ctx, done)
	}
	if d.kicked {
		d.kicked = false
		d.deadlineKnown = false
	}
	d.applyDeadline(dl)
	// Checked under mu: a callback that ran before this point has made
	// ctx.Err non-nil; one that runs after will kick the conn.
	if err := ctx.Err(); err != nil {
		return ctxError(op, err)
	}
	return nil
}

// register replaces the AfterFunc registration with one for ctx, whose Done
// channel is done (nil for a ctx that is never cancelled). Called with d.mu
// held.
func (d *direction) register(ctx context.Context, done <-chan struct{}) {
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
	d.gen++
	d.done = done
	if done != nil {
		gen := d.gen
		d.stop = context.AfterFunc(ctx, func() { d.kick(gen) })
	}
}

// kick wakes the call in flight, if any, by setting a deadline in the past.
// It ignores a registration that was replaced while it was starting.
func (d *direction) kick(gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen != d.gen {
		return
	}
	d.kicked = true
	_ = d.setDeadline(aLongTimeAgo)
}

// applyDeadline sets dl on the conn unless it is already set.
func (d *direction) applyDeadline(dl time.Time) {
	if d.deadlineKnown && dl.Equal(d.deadline) {
		return
	}
	_ = d.setDeadline(dl)
	d.deadline = dl
	d.deadlineKnown = true
}

// unregister drops the AfterFunc registration. Close calls it after setting
// closed, so no call registers again.
func (d *direction) unregister() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
	d.gen++
}

// Receive reads at least one byte into p. See FromNetConn for the errors.
func (s *netConnStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		if s.closed.Load() {
			return 0, errReceiveClosed
		}
		return 0, nil
	}
	if s.closed.Load() {
		return 0, errReceiveClosed
	}
	if !s.recv.busy.CompareAndSwap(false, true) {
		return 0, errReceiveBusy
	}
	defer s.recv.busy.Store(false)
	if err := s.recv.begin(ctx, &s.closed, "receive"); err != nil {
		return 0, err
	}
	if s.recv.err != nil {
		return 0, s.recv.err
	}
	for range 100 {
		n, err := s.conn.Read(p)
		if n > 0 {
			if err != nil && !isTimeout(ctx, err) {
				// Data first; the error is reported by the next call.
				s.recv.err = s.ioError("receive", ctx, err)
			}
			return n, nil
		}
		if err != nil {
			return 0, s.receiveError(ctx, err)
		}
	}
	s.recv.err = errReceiveNoProgress
	return 0, s.recv.err
}

// receiveError maps an error from conn.Read; sticky ones are remembered.
func (s *netConnStream) receiveError(ctx context.Context, err error) error {
	e := s.ioError("receive", ctx, err)
	if e == io.EOF || errors.Is(e, ErrBroken) {
		s.recv.err = e
	}
	return e
}

// Send writes all of p. See FromNetConn for the errors.
func (s *netConnStream) Send(ctx context.Context, p []byte) error {
	if s.closed.Load() {
		return errSendClosed
	}
	if !s.send.busy.CompareAndSwap(false, true) {
		return errSendBusy
	}
	defer s.send.busy.Store(false)
	if s.writeClosed.Load() {
		return errSendClosed
	}
	if err := s.send.begin(ctx, &s.closed, "send"); err != nil {
		return err
	}
	if s.send.err != nil {
		return s.send.err
	}
	for len(p) > 0 {
		n, err := s.conn.Write(p)
		if err != nil {
			e := s.ioError("send", ctx, err)
			if errors.Is(e, ErrBroken) {
				s.send.err = e
			}
			return e
		}
		if n == 0 {
			s.send.err = fmt.Errorf("stream: send: %w", Broken(io.ErrShortWrite))
			return s.send.err
		}
		p = p[n:]
	}
	return nil
}

// ioError turns an error from the conn into the stream's vocabulary: the
// local close, end of stream, the ctx that ended, or a broken transport.
func (s *netConnStream) ioError(op string, ctx context.Context, err error) error {
	switch {
	case s.closed.Load():
		return errClosedOp(op)
	case err == io.EOF:
		return io.EOF
	case isTimeout(ctx, err):
		if cerr := ctx.Err(); cerr != nil {
			return ctxError(op, cerr)
		}
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return ctxError(op, context.DeadlineExceeded)
		}
		// A deadline the stream did not set: report it, but do not break.
		return fmt.Errorf("stream: %s: %w", op, err)
	case errors.Is(err, net.ErrClosed):
		// The conn was closed behind the stream's back.
		return fmt.Errorf("stream: %s: %w", op, ErrClosed)
	}
	return fmt.Errorf("stream: %s: %w", op, Broken(err))
}

// CloseWrite half-closes the conn. See FromNetConn.
func (s *netConnStream) CloseWrite() error {
	if s.closed.Load() {
		return errCloseWriteClosed
	}
	if !s.send.busy.CompareAndSwap(false, true) {
		return errCloseWriteBusy
	}
	defer s.send.busy.Store(false)
	if s.writeClosed.Load() {
		return nil
	}
	if s.cw == nil {
		return errCloseWriteUnsupp
	}
	if err := s.cw.CloseWrite(); err != nil {
		if s.closed.Load() || errors.Is(err, net.ErrClosed) {
			return errCloseWriteClosed
		}
		return fmt.Errorf("stream: close write: %w", Broken(err))
	}
	s.writeClosed.Store(true)
	return nil
}

// Close closes the conn, waking blocked calls with ErrClosed. It is
// idempotent and does not wait for the peer.
func (s *netConnStream) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.recv.unregister()
	s.send.unregister()
	if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("stream: close: %w", err)
	}
	return nil
}

// Extra answers the conn's addresses, ports and the conn itself.
func (s *netConnStream) Extra(key any) (any, bool) {
	if v, ok := ForwardExtra(s.conn, key); ok {
		return v, true
	}
	switch key {
	case LocalAddr:
		return addrAttr(s.conn.LocalAddr())
	case RemoteAddr:
		return addrAttr(s.conn.RemoteAddr())
	case LocalPort:
		return portOf(s.conn.LocalAddr())
	case RemotePort:
		return portOf(s.conn.RemoteAddr())
	case RawSocket:
		return s.conn, true
	}
	return nil, false
}

func addrAttr(a net.Addr) (any, bool) {
	if a == nil {
		return nil, false
	}
	return a, true
}

// portOf returns the port of an IP address.
func portOf(a net.Addr) (any, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		if a != nil {
			return a.Port, true
		}
	case *net.UDPAddr:
		if a != nil {
			return a.Port, true
		}
	}
	return nil, false
}

// isTimeout reports whether err is a deadline expiring, which net.Conn
// reports by wrapping os.ErrDeadlineExceeded. A conn that reports it only
// through Timeout() is believed while ctx has ended (the stream's own
// deadline, then); otherwise such an error — ETIMEDOUT from a dead peer,
// after keep-alive probes or TCP_USER_TIMEOUT gave up — is a broken
// connection.
func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || errors.Is(err, syscall.ETIMEDOUT) {
		return false
	}
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// ctxError reports that the ctx ended during op. cause is ctx.Err(), or
// context.DeadlineExceeded when the ctx's deadline passed before the ctx
// noticed, so that errors.Is(err, ctx.Err()) holds either way.
func ctxError(op string, cause error) error {
	return fmt.Errorf("stream: %s: %w", op, cause)
}

// errClosedOp returns the error for op on a closed stream.
func errClosedOp(op string) error {
	switch op {
	case "receive":
		return errReceiveClosed
	case "send":
		return errSendClosed
	}
	return fmt.Errorf("stream: %s: %w", op, ErrClosed)
}
