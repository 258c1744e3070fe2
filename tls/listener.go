package tls

import (
	"context"
	ctls "crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/anyio-go/anyio/stream"
)

// Listener accepts connections from another listener and runs the server
// side of a TLS handshake on each. It is a stream.Listener[*Stream].
//
// Handshakes run concurrently, in the background, from the moment the
// Listener is made: a client that stalls or sends garbage holds up no other
// client's Accept and never stops the Listener; its handshake fails (after
// the handshake timeout at worst), the error goes to the OnHandshakeError
// function, and its connection is closed. Accept returns connections in the
// order their handshakes complete. Accept may be called from several
// goroutines at once.
//
// Errors from the inner listener's Accept other than its being closed are
// handed to Accept one at a time (so a caller such as stream.Serve can back
// off), and accepting goes on. Once the inner listener is closed, from here
// or elsewhere, Accept returns stream.ErrClosed.
type Listener struct {
	accept     func(ctx context.Context) (stream.ByteStream, error)
	closeInner func() error
	inner      any
	cfg        *ctls.Config
	opts       options

	ready  chan accepted // handshakes done, waiting for Accept
	slots  chan struct{} // one per connection between the two Accepts
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the accept loop has stopped
	endErr error         // why the loop stopped; set before done is closed
	conns  sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

var _ stream.Listener[*Stream] = (*Listener)(nil)

// accepted is what the background goroutines hand to Accept.
type accepted struct {
	s   *Stream
	err error
}

// NewListener returns a Listener that accepts from inner and handshakes with
// config as the server. config is used as Wrap uses it (cloned once, TLS 1.2
// minimum when unset); without a certificate in it every Accept returns
// ErrNoCertificate. Options: WithHandshakeTimeout (default 10 s),
// OnHandshakeError (default: log through slog's default logger),
// WithMaxPendingHandshakes, StandardCompatible for the streams it returns.
// The Listener owns inner: Close closes it.
func NewListener[T stream.ByteStream](inner stream.Listener[T], config *ctls.Config, opts ...Option) *Listener {
	o := options{standardCompatible: true, handshakeTimeout: DefaultHandshakeTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	o.server = true
	if o.maxPending < 1 {
		o.maxPending = DefaultMaxPendingHandshakes
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{
		accept: func(ctx context.Context) (stream.ByteStream, error) {
			c, err := inner.Accept(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		closeInner: inner.Close,
		inner:      inner,
		opts:       o,
		ready:      make(chan accepted),
		slots:      make(chan struct{}, o.maxPending),
		ctx:        ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
	}
	cfg, err := serverConfig(config)
	if err != nil {
		l.endErr = err
		close(l.done)
		return l
	}
	l.cfg = cfg
	go l.acceptLoop()
	return l
}

// Accept returns the next connection whose handshake succeeded. A cancelled
// ctx ends it with the context's error; Close ends it with stream.ErrClosed.
func (l *Listener) Accept(ctx context.Context) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tls: accept: %w", err)
	}
	select {
	case <-l.ctx.Done():
		return nil, errClosed("accept")
	default:
	}
	select {
	case r := <-l.ready:
		if r.err != nil {
			return nil, fmt.Errorf("tls: accept: %w", r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("tls: accept: %w", ctx.Err())
	case <-l.done:
		return nil, fmt.Errorf("tls: accept: %w", l.endErr)
	}
}

// acceptLoop takes connections from the inner listener, a slot each, and
// starts their handshakes.
func (l *Listener) acceptLoop() {
	defer close(l.done)
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.ctx.Done():
			l.endErr = stream.ErrClosed
			return
		}
		raw, err := l.accept(l.ctx)
		if err != nil {
			<-l.slots
			if l.ctx.Err() != nil || errors.Is(err, stream.ErrClosed) {
				l.endErr = stream.ErrClosed
				return
			}
			if !l.handOver(accepted{err: err}) {
				l.endErr = stream.ErrClosed
				return
			}
			continue
		}
		l.conns.Add(1)
		go l.serve(raw)
	}
}

// serve handshakes on raw and hands the stream to Accept.
func (l *Listener) serve(raw stream.ByteStream) {
	defer l.conns.Done()
	defer func() { <-l.slots }()
	s, err := handshake(l.ctx, raw, l.cfg, &l.opts)
	if err != nil {
		if l.ctx.Err() == nil {
			l.reportHandshakeError(raw, err)
		}
		return
	}
	if !l.handOver(accepted{s: s}) {
		s.Close()
	}
}

// handOver waits for an Accept to take r, and reports false if the Listener
// closed first.
func (l *Listener) handOver(r accepted) bool {
	select {
	case l.ready <- r:
		return true
	case <-l.ctx.Done():
		return false
	}
}

func (l *Listener) reportHandshakeError(raw stream.ByteStream, err error) {
	if addr, aerr := stream.Extra(raw, stream.RemoteAddr); aerr == nil {
		err = fmt.Errorf("tls: handshake with %v: %w", addr, err)
	}
	if l.opts.onHandshakeError != nil {
		l.opts.onHandshakeError(err)
		return
	}
	slog.Default().Warn("tls: handshake failed", "err", err)
}

// Close stops accepting, closes the inner listener and every connection not
// yet returned by Accept, and returns once every goroutine of the Listener
// has stopped. Blocked Accept calls return stream.ErrClosed. Close is
// idempotent and returns the inner listener's Close error.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.closeErr = l.closeInner()
		<-l.done
		l.conns.Wait()
	})
	return l.closeErr
}

// Extra forwards every attribute to the inner listener (its local address,
// say).
func (l *Listener) Extra(key any) (any, bool) { return stream.ForwardExtra(l.inner, key) }
