package unix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// ErrTooManyFDs is wrapped by the error ReceiveFDs returns when a message
// carried more descriptors than the caller would take. Every descriptor of
// that message has been closed by then.
var ErrTooManyFDs = errors.New("unix: more file descriptors arrived than asked for")

// SendFDs sends p together with open files: the peer gets new descriptors
// for the same open files, with the first bytes of p (SCM_RIGHTS). p must
// not be empty when files are given, since the descriptors travel with
// data. Like Send it sends all of p or returns an error, shares Send's busy
// slot (stream.ErrBusy), and fails with stream.ErrClosed after Close or
// CloseWrite. The files stay open on this side; the caller still owns them.
// On systems without descriptor passing (Windows) it fails with an error
// wrapping errors.ErrUnsupported.
func (s *Stream) SendFDs(ctx context.Context, p []byte, files ...*os.File) error {
	if err := fdPassing(); err != nil {
		return fmt.Errorf("unix: send fds: %w", err)
	}
	if s.closed.Load() {
		return fmt.Errorf("unix: send fds: %w", stream.ErrClosed)
	}
	if len(files) > 0 && len(p) == 0 {
		return errors.New("unix: send fds: descriptors need at least one byte of data to travel with")
	}
	if !s.send.TryAcquire() {
		return fmt.Errorf("unix: send fds: %w", stream.ErrBusy)
	}
	defer s.send.Release()
	if s.writeClosed.Load() {
		return fmt.Errorf("unix: send fds: %w", stream.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("unix: send fds: %w", err)
	}
	fds, err := rawFDs(files)
	if err != nil {
		return fmt.Errorf("unix: send fds: %w", err)
	}
	c, err := s.fds.get(s.conn)
	if err != nil {
		return s.fdError("send fds", ctx, err)
	}
	rights := unixRights(fds)
	err = withContext(ctx, c.SetWriteDeadline, s.fds.sendFired, func() error {
		n, _, err := c.WriteMsgUnix(p, rights, nil)
		if err == nil && n < len(p) {
			// The descriptors went with the first part; the rest is
			// plain data.
			_, err = c.Write(p[n:])
		}
		return err
	})
	runtime.KeepAlive(files) // their descriptors were in use until now
	if err != nil {
		return s.fdError("send fds", ctx, err)
	}
	return nil
}

// ReceiveFDs reads like Receive and also takes the descriptors that came
// with the bytes read, at most maxFDs of them, as open files the caller owns
// and must close. With len(p) == 0 it returns at once.
//
// When a message carried more than maxFDs descriptors, or the kernel had to
// truncate them, all of that message's descriptors are closed — none leaks —
// and the error wraps ErrTooManyFDs; the n bytes read into p are valid even
// then. It shares Receive's busy slot (stream.ErrBusy), returns io.EOF,
// unwrapped, at end of stream, and stream.ErrClosed after Close. On systems
// without descriptor passing (Windows) it fails with an error wrapping
// errors.ErrUnsupported.
func (s *Stream) ReceiveFDs(ctx context.Context, p []byte, maxFDs int) (n int, files []*os.File, err error) {
	if err := fdPassing(); err != nil {
		return 0, nil, fmt.Errorf("unix: receive fds: %w", err)
	}
	if s.closed.Load() {
		return 0, nil, fmt.Errorf("unix: receive fds: %w", stream.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil, nil
	}
	if !s.recv.TryAcquire() {
		return 0, nil, fmt.Errorf("unix: receive fds: %w", stream.ErrBusy)
	}
	defer s.recv.Release()
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("unix: receive fds: %w", err)
	}
	c, err := s.fds.get(s.conn)
	if err != nil {
		return 0, nil, s.fdError("receive fds", ctx, err)
	}
	maxFDs = max(maxFDs, 0)
	// Room for one descriptor more than asked for, so that a surplus shows
	// as a count and not only as truncation.
	oob := make([]byte, cmsgSpace(4*(maxFDs+1)))
	var oobn, flags int
	err = withContext(ctx, c.SetReadDeadline, s.fds.recvFired, func() error {
		var err error
		n, oobn, flags, _, err = c.ReadMsgUnix(p, oob)
		return err
	})
	files, ferr := takeFiles(oob[:oobn], flags, maxFDs)
	switch {
	case err != nil:
		closeFiles(files)
		return 0, nil, s.fdError("receive fds", ctx, err)
	case n == 0:
		closeFiles(files)
		return 0, nil, io.EOF
	case ferr != nil:
		return n, nil, fmt.Errorf("unix: receive fds: %w", ferr)
	}
	return n, files, nil
}

// rawFDs returns the descriptor numbers of files without putting them into
// blocking mode, as (*os.File).Fd would.
func rawFDs(files []*os.File) ([]int, error) {
	fds := make([]int, 0, len(files))
	for _, f := range files {
		if f == nil {
			return nil, errors.New("nil file")
		}
		rc, err := f.SyscallConn()
		if err != nil {
			return nil, err
		}
		if err := rc.Control(func(fd uintptr) { fds = append(fds, int(fd)) }); err != nil {
			return nil, err
		}
	}
	return fds, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// fdError turns an error of a descriptor-passing call into the stream's
// vocabulary, as stream.FromNetConn does for Receive and Send.
func (s *Stream) fdError(op string, ctx context.Context, err error) error {
	switch {
	case s.closed.Load() || errors.Is(err, net.ErrClosed):
		return fmt.Errorf("unix: %s: %w", op, stream.ErrClosed)
	case errors.Is(err, io.EOF):
		// ReadMsgUnix reports end of stream inside a *net.OpError.
		return io.EOF
	case errors.Is(err, os.ErrDeadlineExceeded):
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("unix: %s: %w", op, cerr)
		}
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return fmt.Errorf("unix: %s: %w", op, context.DeadlineExceeded)
		}
		return fmt.Errorf("unix: %s: %w", op, err)
	}
	return fmt.Errorf("unix: %s: %w", op, stream.Broken(err))
}

// withContext runs io, a call on a conn whose deadline set sets, so that
// ctx's deadline and cancellation end it. fired belongs to the direction:
// calls in one direction take turns, so at most one callback is pending,
// and it is waited for so that it cannot move the deadline of a later call.
func withContext(ctx context.Context, set func(time.Time) error, fired chan struct{}, io func() error) error {
	dl, _ := ctx.Deadline()
	_ = set(dl)
	if ctx.Done() == nil {
		return io()
	}
	stop := context.AfterFunc(ctx, func() {
		_ = set(deadline.Past)
		fired <- struct{}{}
	})
	err := io()
	if !stop() {
		<-fired
	}
	return err
}

// fdConn is a second descriptor for the stream's socket, made on the first
// descriptor-passing call. Those calls need sendmsg and recvmsg; making them
// on a duplicate keeps their deadlines apart from the ones the stream under
// Receive and Send manages on the first descriptor, while the bytes still
// flow through the one socket, in order.
type fdConn struct {
	mu     sync.Mutex // guards conn and closed
	conn   *net.UnixConn
	closed bool

	recvFired, sendFired chan struct{}
}

// get returns the duplicate, making it the first time.
func (f *fdConn) get(orig *net.UnixConn) (*net.UnixConn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, net.ErrClosed
	}
	if f.conn != nil {
		return f.conn, nil
	}
	file, err := orig.File()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	c, err := net.FileConn(file)
	if err != nil {
		return nil, err
	}
	f.conn = c.(*net.UnixConn)
	f.recvFired = make(chan struct{}, 1)
	f.sendFired = make(chan struct{}, 1)
	return f.conn, nil
}

// close closes the duplicate, waking calls blocked on it.
func (f *fdConn) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.conn != nil {
		f.conn.Close()
	}
}
