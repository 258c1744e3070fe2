package stream

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

// tcpPair returns two connected TCP loopback conns, closed at cleanup.
func tcpPair(t testing.TB) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	l, err := nettest.NewLocalListener("tcp")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	a, err := net.Dial(l.Addr().Network(), l.Addr().String())
	require.NoError(t, err)
	b := <-accepted
	require.NotNil(t, b)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// chanListener hands out what is sent on conns, one per Accept. An error
// sent on errs is returned by one Accept instead.
type chanListener[T any] struct {
	conns   chan T
	errs    chan error
	closed  chan struct{}
	once    sync.Once
	accepts atomic.Int64 // Accept calls that returned a conn
	extra   map[any]any
}

func newChanListener[T any]() *chanListener[T] {
	return &chanListener[T]{conns: make(chan T), errs: make(chan error), closed: make(chan struct{})}
}

func (l *chanListener[T]) Accept(ctx context.Context) (T, error) {
	var zero T
	select {
	case <-l.closed:
		return zero, fmt.Errorf("chan: accept: %w", ErrClosed)
	default:
	}
	select {
	case c := <-l.conns:
		l.accepts.Add(1)
		return c, nil
	case err := <-l.errs:
		return zero, err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-l.closed:
		return zero, fmt.Errorf("chan: accept: %w", ErrClosed)
	}
}

func (l *chanListener[T]) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener[T]) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

func (l *chanListener[T]) Extra(key any) (any, bool) {
	v, ok := l.extra[key]
	return v, ok
}

// fakeConn is an io.Closer that remembers being closed.
type fakeConn struct {
	id     int
	closed atomic.Int32
}

func (c *fakeConn) Close() error {
	c.closed.Add(1)
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (a log sink).
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
