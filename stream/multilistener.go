package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MultiListener accepts connections from several listeners at once, for
// instance a TCP listener per address family, or a TCP and a Unix listener
// served by one Serve call.
//
// With more than one leaf listener, the first Accept starts one goroutine
// per leaf, which accepts a connection and waits for an Accept call to take
// it; so a connection may be accepted from a leaf before anyone asks for it.
// With a single leaf, Accept calls the leaf's Accept directly.
//
// Accept may be called from several goroutines. Close closes every leaf,
// wakes blocked Accept calls with ErrClosed, closes any connection accepted
// but not handed out (when T is an io.Closer), and waits for the goroutines
// to end.
type MultiListener[T any] struct {
	leaves []Listener[T]

	ctx      context.Context // the leaves' Accept ctx, ended by Close
	cancel   context.CancelFunc
	incoming chan accepted[T] // from the leaf goroutines to Accept
	closed   chan struct{}    // closed by Close
	gone     chan struct{}    // closed when every leaf closed by itself
	wg       sync.WaitGroup   // the leaf goroutines

	mu       sync.Mutex // guards the following
	started  bool
	isClosed bool
	running  int // leaf goroutines that have not stopped on their own
}

// accepted is what a leaf's Accept returned.
type accepted[T any] struct {
	conn T
	err  error
}

// NewMultiListener returns a listener that accepts from every listener in
// ls. A MultiListener among ls is replaced by its leaves, so nesting them
// gives one flat set (the nested MultiListener must not be used on its own
// afterwards).
func NewMultiListener[T any](ls ...Listener[T]) *MultiListener[T] {
	m := &MultiListener[T]{
		incoming: make(chan accepted[T]),
		closed:   make(chan struct{}),
		gone:     make(chan struct{}),
	}
	for _, l := range ls {
		if inner, ok := l.(*MultiListener[T]); ok {
			m.leaves = append(m.leaves, inner.leaves...)
		} else {
			m.leaves = append(m.leaves, l)
		}
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Listeners returns the leaf listeners, in order.
func (m *MultiListener[T]) Listeners() []Listener[T] {
	return append([]Listener[T](nil), m.leaves...)
}

// Accept returns the next connection from any leaf, or a leaf's error. It
// returns the ctx's error when ctx ends first, and ErrClosed after Close or
// once every leaf has reported that it was closed.
func (m *MultiListener[T]) Accept(ctx context.Context) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("stream: accept: %w", err)
	}
	if len(m.leaves) == 1 {
		select {
		case <-m.closed:
			return zero, fmt.Errorf("stream: accept: %w", ErrClosed)
		default:
		}
		return m.leaves[0].Accept(ctx)
	}
	if !m.start() {
		return zero, fmt.Errorf("stream: accept: %w", ErrClosed)
	}
	select {
	case a := <-m.incoming:
		return a.conn, a.err
	case <-ctx.Done():
		return zero, fmt.Errorf("stream: accept: %w", ctx.Err())
	case <-m.closed:
		return zero, fmt.Errorf("stream: accept: %w", ErrClosed)
	case <-m.gone:
		return zero, fmt.Errorf("stream: accept: %w", ErrClosed)
	}
}

// start starts the leaf goroutines once; it reports false after Close.
func (m *MultiListener[T]) start() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.isClosed {
		return false
	}
	if !m.started {
		m.started = true
		m.running = len(m.leaves)
		m.wg.Add(len(m.leaves))
		for _, l := range m.leaves {
			go m.run(l)
		}
	}
	return true
}

// run accepts from one leaf until Close, or until the leaf reports that it
// is closed.
func (m *MultiListener[T]) run(l Listener[T]) {
	defer m.wg.Done()
	for {
		conn, err := l.Accept(m.ctx)
		if err != nil && m.ctx.Err() != nil {
			return
		}
		select {
		case m.incoming <- accepted[T]{conn, err}:
		case <-m.ctx.Done():
			if err == nil {
				closeConn(conn)
			}
			return
		}
		if errors.Is(err, ErrClosed) {
			m.leafGone()
			return
		}
	}
}

// leafGone records that a leaf closed by itself; when the last one has,
// Accept reports ErrClosed instead of waiting forever.
func (m *MultiListener[T]) leafGone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running--
	if m.running == 0 {
		close(m.gone)
	}
}

// closeConn closes c if it can be closed.
func closeConn[T any](c T) {
	if cl, ok := any(c).(io.Closer); ok && cl != nil {
		_ = cl.Close()
	}
}

// Close closes every leaf and returns their errors joined. It wakes blocked
// Accept calls, closes connections accepted but not handed out, and returns
// once the goroutines have ended. It is idempotent.
func (m *MultiListener[T]) Close() error {
	m.mu.Lock()
	if m.isClosed {
		m.mu.Unlock()
		return nil
	}
	m.isClosed = true
	close(m.closed)
	m.mu.Unlock()

	m.cancel()
	var errs []error
	for _, l := range m.leaves {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	m.wg.Wait()
	return errors.Join(errs...)
}

// Extra answers from the leaves; when several answer, the later listener
// wins.
func (m *MultiListener[T]) Extra(key any) (any, bool) {
	for i := len(m.leaves) - 1; i >= 0; i-- {
		if v, ok := ForwardExtra(m.leaves[i], key); ok {
			return v, true
		}
	}
	return nil, false
}
