package deadline_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// tcpAcceptor listens on IPv4 loopback; the listener is closed when the
// test ends.
func tcpAcceptor(t *testing.T) (*net.TCPListener, *deadline.Acceptor[*net.TCPConn]) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln, deadline.NewAcceptor(ln.SetDeadline, ln.AcceptTCP)
}

// dial connects to ln; the connection is closed when the test ends.
func dial(t *testing.T, ln net.Listener) {
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
}

// acceptOK accepts one connection and closes it.
func acceptOK(t *testing.T, a *deadline.Acceptor[*net.TCPConn], ctx context.Context, closed <-chan struct{}) {
	t.Helper()
	conn, err := a.Accept(ctx, closed)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
}

func TestAcceptCancelledThenAgain(t *testing.T) {
	ln, a := tcpAcceptor(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	conn, err := a.Accept(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, conn)

	// The deadline the cancellation set is gone for the next call.
	dial(t, ln)
	acceptOK(t, a, context.Background(), nil)
}

func TestAcceptContextDeadline(t *testing.T) {
	_, a := tcpAcceptor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := a.Accept(ctx, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestAcceptDoneContextTakesNothing: a pending connection stays for the
// next caller.
func TestAcceptDoneContextTakesNothing(t *testing.T) {
	ln, a := tcpAcceptor(t)
	dial(t, ln)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Accept(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	acceptOK(t, a, context.Background(), nil)
}

func TestAcceptListenerClosed(t *testing.T) {
	ln, a := tcpAcceptor(t)
	errs := make(chan error, 1)
	go func() {
		_, err := a.Accept(context.Background(), nil)
		errs <- err
	}()
	letBlock()
	require.NoError(t, ln.Close())
	require.ErrorIs(t, <-errs, stream.ErrClosed)
}

// TestAcceptTakesTurns: while one caller is inside, the next waits for its
// turn, and leaves when its ctx ends or closed is closed.
func TestAcceptTakesTurns(t *testing.T) {
	ln, a := tcpAcceptor(t)
	inside := make(chan error, 1)
	go func() {
		conn, err := a.Accept(context.Background(), nil)
		if err == nil {
			conn.Close()
		}
		inside <- err
	}()
	letBlock()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := a.Accept(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)

	closed := make(chan struct{})
	close(closed)
	_, err = a.Accept(context.Background(), closed)
	require.ErrorIs(t, err, stream.ErrClosed)

	dial(t, ln)
	require.NoError(t, <-inside, "the caller inside was not disturbed")
}

// TestAcceptOtherErrorsPassThrough: errors that are neither a closed
// listener nor the context's wake-up reach the caller as they are.
func TestAcceptOtherErrorsPassThrough(t *testing.T) {
	boom := errors.New("boom")
	a := deadline.NewAcceptor(
		func(time.Time) error { return nil },
		func() (int, error) { return 0, boom },
	)
	_, err := a.Accept(context.Background(), nil)
	require.Same(t, boom, err)
	_, err = a.Accept(context.Background(), nil)
	require.Same(t, boom, err, "the turn was given back")
}
