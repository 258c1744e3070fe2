package stream

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	maxConns int
	logger   *slog.Logger
	sleep    func(ctx context.Context, d time.Duration) // waits d or until ctx ends
}

// WithMaxConnections limits the number of connections served at once to n.
// When n handlers are running, Serve does not accept until one returns, so
// further connections wait in the listener's backlog, and a listener whose
// backlog is bounded decides what happens beyond it (a TCP listener's is
// the system's, and clients wait; a QUIC listener refuses connections past
// 32 waiting). n <= 0 means no limit (the default).
func WithMaxConnections(n int) ServeOption {
	return func(c *serveConfig) { c.maxConns = n }
}

// WithLogger makes Serve report handler panics (with their stack) and
// accept errors it retries to l. The default is slog.Default(); a nil l
// discards the reports.
func WithLogger(l *slog.Logger) ServeOption {
	return func(c *serveConfig) {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		c.logger = l
	}
}

// withSleep replaces the backoff wait, so tests can observe it.
func withSleep(sleep func(ctx context.Context, d time.Duration)) ServeOption {
	return func(c *serveConfig) { c.sleep = sleep }
}

// Backoff after a temporary accept error: it starts at minBackoff, doubles
// up to maxBackoff, and starts over after an Accept succeeds.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Serve accepts connections from l and runs h for each in its own
// goroutine, passing it ctx, so every handler's context ends when Serve's
// does. When h returns, the connection is closed. A panic in h is recovered
// and logged with its stack; the server keeps serving.
//
// Temporary accept errors (EMFILE, ENFILE, ECONNABORTED, ENOBUFS, ENOMEM and
// timeouts) are logged and retried after a pause that starts at 5 ms and
// doubles up to 1 s; an Accept that succeeds resets it. Errors of accept(2)
// that concern only the pending connection it took (ECONNRESET, EPERM from
// a firewall, and the network errors Linux passes on: ENETDOWN, EPROTO,
// ENOPROTOOPT, EHOSTDOWN, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH) are retried
// at once, up to 16 in a row, then like temporary errors; a listener whose
// error wraps ErrBroken is never retried.
//
// When ctx ends, Serve stops accepting, the handlers' contexts are
// cancelled, and Serve returns nil once every handler has returned. When
// Accept fails otherwise (ErrClosed when l was closed elsewhere), Serve stops
// accepting, waits for the running handlers to return (their contexts are
// not cancelled: cancel ctx to stop them) and returns that error. Serve does
// not close l. No goroutine it started outlives it.
func Serve[T io.Closer](ctx context.Context, l Listener[T], h func(context.Context, T), opts ...ServeOption) error {
	cfg := serveConfig{logger: slog.Default(), sleep: sleepCtx}
	for _, o := range opts {
		o(&cfg)
	}
	var wg sync.WaitGroup
	defer wg.Wait()

	var slots chan struct{} // one token per running handler, when limited
	if cfg.maxConns > 0 {
		slots = make(chan struct{}, cfg.maxConns)
	}
	backoff := time.Duration(0)
	quick := 0 // failed-connection errors in a row
	for {
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		conn, err := l.Accept(ctx)
		if err != nil {
			if slots != nil {
				<-slots
			}
			if ctx.Err() != nil {
				return nil
			}
			switch acceptErrorKind(err) {
			case acceptFailedConn:
				if quick < maxQuickRetries {
					quick++
					cfg.logger.Debug("stream: a pending connection failed; accepting the next", "error", err)
					continue
				}
				fallthrough
			case acceptTemporary:
				backoff = nextBackoff(backoff)
				cfg.logger.Warn("stream: accept failed; retrying", "error", err, "delay", backoff)
				cfg.sleep(ctx, backoff)
				continue
			}
			return err
		}
		backoff, quick = 0, 0
		if ctx.Err() != nil {
			_ = conn.Close()
			return nil
		}
		wg.Add(1)
		go handle(ctx, &wg, slots, conn, h, cfg.logger)
	}
}

// handle runs h for conn and cleans up after it, whatever h does.
func handle[T io.Closer](ctx context.Context, wg *sync.WaitGroup, slots chan struct{}, conn T, h func(context.Context, T), log *slog.Logger) {
	defer wg.Done()
	if slots != nil {
		defer func() { <-slots }()
	}
	defer func() { _ = conn.Close() }()
	// The handler gets Serve's own ctx: it ends exactly when Serve's does,
	// and sharing it spares each connection a cancellable context and its
	// registration with the parent.
	defer func() {
		if r := recover(); r != nil {
			log.Error("stream: handler panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	h(ctx, conn)
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return minBackoff
	}
	return min(2*d, maxBackoff)
}

// sleepCtx waits for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// resourceAcceptErrors are the errors after which Accept may succeed if
// tried again later: the process or system ran out of descriptors, buffers
// or memory, or a connection was aborted before it was accepted.
var resourceAcceptErrors = []error{
	syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED,
}

// failedConnErrors are the errors of accept(2) that belong to the one
// pending connection it took, not to the listener: reset by its peer,
// refused by a firewall rule, or hit by a network error that Linux hands to
// accept(2) (its manual says to retry these like EAGAIN).
var failedConnErrors = []error{
	syscall.ECONNRESET, syscall.EPERM, syscall.ENETDOWN, syscall.EPROTO, syscall.ENOPROTOOPT,
	syscall.EHOSTDOWN, syscall.EHOSTUNREACH, syscall.EOPNOTSUPP, syscall.ENETUNREACH,
}

// Kinds of accept errors.
const (
	acceptFatal      = iota // Serve returns it
	acceptTemporary         // retry after a backoff
	acceptFailedConn        // retry at once
)

// maxQuickRetries is how many accept errors of failed connections in a row
// Serve retries at once; more in a row back off like a temporary error, so
// that a listener stuck returning one cannot make Serve spin.
const maxQuickRetries = 16

// acceptErrorKind says what Serve does after Accept returned err (Serve
// checks first that its own ctx did not end). Failed-connection errors
// count only as a system call's accept error (a *net.OpError with Op
// "accept") from a listener that does not call itself broken.
func acceptErrorKind(err error) int {
	for _, e := range resourceAcceptErrors {
		if errors.Is(err, e) {
			return acceptTemporary
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return acceptTemporary
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "accept" && !errors.Is(err, ErrBroken) {
		for _, e := range failedConnErrors {
			if errors.Is(err, e) {
				return acceptFailedConn
			}
		}
	}
	return acceptFatal
}
