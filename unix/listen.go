package unix

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// Listener accepts connections on a Unix stream socket. It is a
// stream.Listener[*Stream]. Accept may be called from several goroutines at
// once; Close wakes every blocked Accept with stream.ErrClosed.
//
// Extra answers stream.LocalAddr (a *net.UnixAddr).
type Listener struct {
	ln        *net.UnixListener
	acceptor  *deadline.Acceptor[*net.UnixConn]
	file      *socketFile // nil for an abstract name
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ stream.Listener[*Stream] = (*Listener)(nil)

// Listen listens for connections on the Unix socket at path.
//
// A path starting with '@' is a Linux abstract name, which has no file.
// Otherwise Listen creates the socket file: a stale one already there (a
// socket file nobody listens on) is replaced, while a live socket or any
// other file at path is an error saying so. To tell stale from live,
// Listen connects to the socket once; a live server sees that connection
// end at once, without data. WithMode sets the file's
// permission bits. Close removes the file, provided it is still the one
// Listen created.
//
// ctx bounds the bind only; the listener lives until Close. Errors name the
// path and say what was wrong; a path too long for a socket address wraps
// syscall.ENAMETOOLONG.
func Listen(ctx context.Context, path string, opts ...Option) (*Listener, error) {
	cfg := newConfig(opts)
	ln, file, err := listen(ctx, &cfg, path)
	if err != nil {
		return nil, fmt.Errorf("unix: listen %s: %w", path, err)
	}
	return &Listener{
		ln:       ln,
		acceptor: deadline.NewAcceptor(ln.SetDeadline, ln.AcceptUnix),
		file:     file,
		closed:   make(chan struct{}),
	}, nil
}

func listen(ctx context.Context, cfg *config, path string) (*net.UnixListener, *socketFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, nil, err
	}
	lc := net.ListenConfig{Control: presetMode(cfg)}
	var ln *net.UnixListener
	file, err := bindPath(ctx, cfg, "unix", path, func() error {
		l, err := lc.Listen(ctx, "unix", path)
		if err != nil {
			return err
		}
		ln = l.(*net.UnixListener)
		// Close removes the file itself, and only if it is still ours.
		ln.SetUnlinkOnClose(false)
		return nil
	})
	if err != nil {
		if ln != nil {
			ln.Close()
			file.remove()
		}
		return nil, nil, err
	}
	return ln, file, nil
}

// Accept waits for the next connection and returns it as a *Stream. A
// cancelled ctx ends the wait with an error for which errors.Is(err,
// ctx.Err()) holds; Close ends it with stream.ErrClosed. Other errors
// (EMFILE: the process ran out of descriptors) wrap the cause; the listener
// stays usable after them.
func (l *Listener) Accept(ctx context.Context) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("unix: accept: %w", err)
	}
	conn, err := l.acceptor.Accept(ctx, l.closed)
	if err != nil {
		return nil, fmt.Errorf("unix: accept: %w", err)
	}
	return newStream(conn), nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening, wakes blocked Accept calls with stream.ErrClosed
// and removes the socket file Listen created, unless it was removed or
// replaced since. Connections already accepted stay open. It is idempotent.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		// The file goes first, as for datagram sockets: see dgram.close.
		rerr := l.file.remove()
		err := l.ln.Close()
		if err == nil {
			err = rerr
		}
		if err != nil {
			l.closeErr = fmt.Errorf("unix: close listener: %w", err)
		}
	})
	return l.closeErr
}

// Extra answers stream.LocalAddr.
func (l *Listener) Extra(key any) (any, bool) {
	if key == stream.LocalAddr {
		return l.Addr(), true
	}
	return nil, false
}
