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
// doubles up to 1 s; an Accept that succeeds resets it.
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
			if !isTemporaryAcceptError(err) {
				return err
			}
			backoff = nextBackoff(backoff)
			cfg.logger.Warn("stream: accept failed; retrying", "error", err, "delay", backoff)
			cfg.sleep(ctx, backoff)
			continue
		}
		backoff = 0
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

// temporaryAcceptErrors are the errors after which Accept may succeed if
// tried again: the process or system ran out of descriptors or memory, or
// one pending connection failed before it was accepted — aborted or reset by
// its peer, refused by a firewall rule, or hit by a network error that
// Linux hands to accept(2) (which its manual says to retry like EAGAIN).
var temporaryAcceptErrors = []error{
	syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
	syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPERM,
	syscall.ENETDOWN, syscall.EPROTO, syscall.ENOPROTOOPT, syscall.EHOSTDOWN,
	syscall.EHOSTUNREACH, syscall.EOPNOTSUPP, syscall.ENETUNREACH,
}

// isTemporaryAcceptError reports whether Accept may succeed if tried again:
// one of temporaryAcceptErrors, or a timeout (Serve checks first that the
// timeout was not its own ctx).
func isTemporaryAcceptError(err error) bool {
	for _, e := range temporaryAcceptErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
