package stream

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var errTest = errors.New("test error")

func TestMultiListenerFlattens(t *testing.T) {
	a, b, c := newChanListener[*fakeConn](), newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](a, NewMultiListener[*fakeConn](b, NewMultiListener[*fakeConn](c)))
	defer m.Close()
	assert.Equal(t, []Listener[*fakeConn]{a, b, c}, m.Listeners())
}

func TestMultiListenerAcceptsFromEveryLeaf(t *testing.T) {
	ls := []*chanListener[*fakeConn]{newChanListener[*fakeConn](), newChanListener[*fakeConn](), newChanListener[*fakeConn]()}
	m := NewMultiListener[*fakeConn](ls[0], ls[1], ls[2])
	ctx := context.Background()
	for i, l := range ls {
		go func() { l.conns <- &fakeConn{id: i} }()
	}
	seen := map[int]bool{}
	for range ls {
		c, err := m.Accept(ctx)
		require.NoError(t, err)
		seen[c.id] = true
	}
	assert.Len(t, seen, 3)
	require.NoError(t, m.Close())
	for _, l := range ls {
		assert.True(t, l.isClosed())
	}
	goleak.VerifyNone(t)
}

func TestMultiListenerSingleLeaf(t *testing.T) {
	l := newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](l)
	go func() { l.conns <- &fakeConn{id: 7} }()
	c, err := m.Accept(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 7, c.id)
	require.NoError(t, m.Close())
	_, err = m.Accept(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
}

func TestMultiListenerAcceptCancel(t *testing.T) {
	m := NewMultiListener[*fakeConn](newChanListener[*fakeConn](), newChanListener[*fakeConn]())
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := m.Accept(ctx)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Accept block
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	_, err := m.Accept(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestMultiListenerCloseWakesAndCleansUp(t *testing.T) {
	a, b := newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](a, b)
	errc := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := m.Accept(context.Background())
			errc <- err
		}()
	}
	time.Sleep(10 * time.Millisecond) // let the Accepts block
	require.NoError(t, m.Close())
	assert.ErrorIs(t, <-errc, ErrClosed)
	assert.ErrorIs(t, <-errc, ErrClosed)
	_, err := m.Accept(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, m.Close(), "idempotent")
	goleak.VerifyNone(t)
}

func TestMultiListenerClosesUnclaimedConn(t *testing.T) {
	a, b := newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](a, b)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := m.Accept(ctx) // starts the leaf goroutines
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Accept block
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	c := &fakeConn{}
	a.conns <- c // taken by a's goroutine, which nobody asks
	require.NoError(t, m.Close())
	assert.EqualValues(t, 1, c.closed.Load())
	goleak.VerifyNone(t)
}

func TestMultiListenerEveryLeafClosed(t *testing.T) {
	a, b := newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](a, b)
	defer m.Close()
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	ctx := context.Background()
	// Each leaf reports its closing once; then Accept reports ErrClosed
	// instead of waiting forever.
	for range 3 {
		_, err := m.Accept(ctx)
		assert.ErrorIs(t, err, ErrClosed)
	}
}

func TestMultiListenerLeafErrorIsReported(t *testing.T) {
	a, b := newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	m := NewMultiListener[*fakeConn](a, b)
	defer m.Close()
	go func() { b.errs <- &net.OpError{Op: "accept", Err: errTest} }()
	_, err := m.Accept(context.Background())
	assert.ErrorIs(t, err, errTest)
	go func() { a.conns <- &fakeConn{id: 1} }()
	c, err := m.Accept(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, c.id, "the failing leaf does not stop the others")
}

func TestMultiListenerExtra(t *testing.T) {
	addr1 := &net.TCPAddr{Port: 1}
	addr2 := &net.TCPAddr{Port: 2}
	port := NewAttribute[int]("port")
	a, b, c := newChanListener[*fakeConn](), newChanListener[*fakeConn](), newChanListener[*fakeConn]()
	a.extra = map[any]any{LocalAddr: addr1, port: 10}
	b.extra = map[any]any{LocalAddr: addr2}
	m := NewMultiListener[*fakeConn](a, b, c)
	defer m.Close()
	got, err := Extra(m, LocalAddr)
	require.NoError(t, err)
	assert.Same(t, addr2, got, "the later listener wins")
	assert.Equal(t, 10, ExtraOr(m, port, 0), "attributes of every leaf are reachable")
	_, err = Extra(m, RemoteAddr)
	assert.ErrorIs(t, err, ErrAttributeNotFound)
}
