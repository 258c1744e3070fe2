package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveAsync runs Serve in a goroutine and returns its result channel.
func serveAsync[T io.Closer](ctx context.Context, l Listener[T], h func(context.Context, T), opts ...ServeOption) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, opts...) }()
	return done
}

func quietLogger() ServeOption { return WithLogger(nil) }

func TestServePanicIsLoggedAndServingGoesOn(t *testing.T) {
	l := newChanListener[*fakeConn]()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int, 2)
	done := serveAsync(ctx, l, func(ctx context.Context, c *fakeConn) {
		served <- c.id
		if c.id == 1 {
			panic("boom")
		}
	}, WithLogger(logger))

	c1, c2 := &fakeConn{id: 1}, &fakeConn{id: 2}
	l.conns <- c1
	assert.Equal(t, 1, <-served)
	l.conns <- c2
	assert.Equal(t, 2, <-served, "the server survived the panic")
	cancel()
	require.NoError(t, <-done)

	assert.EqualValues(t, 1, c1.closed.Load(), "the panicking handler's conn is closed")
	assert.EqualValues(t, 1, c2.closed.Load())
	out := logs.String()
	assert.Contains(t, out, "handler panicked")
	assert.Contains(t, out, "boom")
	assert.Contains(t, out, "serve_test.go", "the stack is logged")
}

func TestServeBackoff(t *testing.T) {
	l := newChanListener[*fakeConn]()
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	sleep := func(ctx context.Context, d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	done := serveAsync(ctx, l, func(context.Context, *fakeConn) { served <- struct{}{} },
		withSleep(sleep), quietLogger())

	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	for range 10 {
		l.errs <- emfile
	}
	l.conns <- &fakeConn{}
	<-served
	l.errs <- fmt.Errorf("wrapped: %w", syscall.ENFILE)
	l.errs <- syscall.ECONNABORTED
	l.errs <- syscall.ENOBUFS
	l.errs <- syscall.ENOMEM
	l.errs <- os.ErrDeadlineExceeded // a timeout not caused by ctx
	l.conns <- &fakeConn{}
	<-served
	cancel()
	require.NoError(t, <-done)

	ms := time.Millisecond
	want := []time.Duration{
		5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second,
		5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, // reset after the success
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, waits)
}

// emfileListener fails its first n Accepts with EMFILE and then blocks
// until ctx ends. It records, on Serve's own goroutine, when each Accept
// was entered and when each failing one returned, so a descheduled test
// goroutine cannot distort the measured waits.
type emfileListener struct {
	n       int
	mu      sync.Mutex
	entered []time.Time
	left    []time.Time
	blocked chan struct{} // closed when the Accept after the n failures starts
}

func (l *emfileListener) Accept(ctx context.Context) (*fakeConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entered = append(l.entered, time.Now())
	if len(l.entered) > l.n {
		close(l.blocked)
		l.mu.Unlock()
		<-ctx.Done()
		l.mu.Lock()
		return nil, ctx.Err()
	}
	l.left = append(l.left, time.Now())
	return nil, syscall.EMFILE
}

func (l *emfileListener) Close() error { return nil }

func TestServeBackoffWaitsForReal(t *testing.T) {
	l := &emfileListener{n: 4, blocked: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := serveAsync(ctx, Listener[*fakeConn](l), func(context.Context, *fakeConn) {}, quietLogger())
	<-l.blocked
	cancel()
	require.NoError(t, <-done)
	l.mu.Lock()
	defer l.mu.Unlock()
	// After the i-th failure Serve waits 5, 10, 20, 40 ms before the next
	// Accept.
	want := 5 * time.Millisecond
	for i := range l.n {
		assert.GreaterOrEqual(t, l.entered[i+1].Sub(l.left[i]), want, "wait after failure %d", i+1)
		want *= 2
	}
}

func TestServeBackoffSleepEndsWithCtx(t *testing.T) {
	l := newChanListener[*fakeConn]()
	ctx, cancel := context.WithCancel(context.Background())
	done := serveAsync(ctx, l, func(context.Context, *fakeConn) {}, quietLogger())
	for range 9 { // the next wait is 1 s
		l.errs <- syscall.EMFILE
	}
	start := time.Now()
	cancel()
	require.NoError(t, <-done)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
}

// A pending connection that failed before Accept returned it — reset by
// its peer, refused by a firewall, hit by a network error Linux passes on
// through accept(2) — does not end Serve.
func TestServeRetriesFailedPendingConnections(t *testing.T) {
	l := newChanListener[*fakeConn]()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	done := serveAsync(ctx, l, func(context.Context, *fakeConn) { served <- struct{}{} },
		withSleep(func(context.Context, time.Duration) {}), quietLogger())
	for _, errno := range []syscall.Errno{
		syscall.ECONNRESET, syscall.EPERM, syscall.EPROTO, syscall.ENETDOWN, syscall.ENETUNREACH,
		syscall.EHOSTUNREACH, syscall.EHOSTDOWN, syscall.ENOPROTOOPT, syscall.EOPNOTSUPP,
	} {
		select {
		case l.errs <- &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}:
		case err := <-done:
			t.Fatalf("Serve ended after an accept error: %v", err)
		}
	}
	select {
	case l.conns <- &fakeConn{}:
	case err := <-done:
		t.Fatalf("Serve ended after an accept error: %v", err)
	}
	<-served
	cancel()
	require.NoError(t, <-done)
}

// A listener that calls itself broken, or an error that does not come from
// accept(2), is not retried even when it carries a connection's errno.
func TestServeDoesNotRetryBrokenListener(t *testing.T) {
	for name, err := range map[string]error{
		"broken":      Broken(&net.OpError{Op: "accept", Net: "udp", Err: syscall.ECONNRESET}),
		"not accept":  &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		"bare errno":  syscall.EPERM,
		"other errno": &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EBADF},
	} {
		t.Run(name, func(t *testing.T) {
			l := newChanListener[*fakeConn]()
			done := serveAsync(context.Background(), l, func(context.Context, *fakeConn) {}, quietLogger())
			l.errs <- err
			assert.ErrorIs(t, <-done, err)
		})
	}
}

// Failed connections in a row are retried at once up to a point, then with
// the backoff, so a listener stuck on one cannot make Serve spin.
func TestServeFailedConnectionsBackOffWhenEndless(t *testing.T) {
	l := newChanListener[*fakeConn]()
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	sleep := func(ctx context.Context, d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	done := serveAsync(ctx, l, func(context.Context, *fakeConn) { served <- struct{}{} }, withSleep(sleep), quietLogger())
	reset := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.ECONNRESET)}
	for range 19 {
		l.errs <- reset
	}
	l.conns <- &fakeConn{}
	<-served
	for range 3 { // the count starts over after a success
		l.errs <- reset
	}
	l.conns <- &fakeConn{}
	<-served
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{5 * ms, 10 * ms, 20 * ms}, waits, "16 at once, then the backoff")
}

func TestServePermanentAcceptError(t *testing.T) {
	l := newChanListener[*fakeConn]()
	boom := errors.New("boom")
	done := serveAsync(context.Background(), l, func(context.Context, *fakeConn) {}, quietLogger())
	l.errs <- boom
	assert.ErrorIs(t, <-done, boom)
}

func TestServeMaxConnections(t *testing.T) {
	const limit, total = 3, 20
	l := newChanListener[*fakeConn]()
	var running, peak atomic.Int64
	started := make(chan struct{}, total)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := serveAsync(ctx, l, func(context.Context, *fakeConn) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		running.Add(-1)
	}, WithMaxConnections(limit))

	conns := make([]*fakeConn, total)
	go func() {
		for i := range conns {
			conns[i] = &fakeConn{id: i}
			l.conns <- conns[i]
		}
	}()
	for range limit {
		<-started
	}
	time.Sleep(20 * time.Millisecond) // give Serve the chance to accept too many
	assert.EqualValues(t, limit, l.accepts.Load(), "no Accept while every slot is taken")
	for range total - limit {
		release <- struct{}{}
		<-started
	}
	for range limit {
		release <- struct{}{}
	}
	cancel()
	require.NoError(t, <-done)
	assert.EqualValues(t, limit, peak.Load())
	assert.EqualValues(t, total, l.accepts.Load(), "every connection was served, none refused")
	for _, c := range conns {
		assert.EqualValues(t, 1, c.closed.Load())
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	const live = 100
	l := newChanListener[*fakeConn]()
	var started, cancelled, returned atomic.Int64
	allStarted := make(chan struct{})
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := serveAsync(ctx, l, func(ctx context.Context, c *fakeConn) {
		if started.Add(1) == live {
			close(allStarted)
		}
		<-ctx.Done()
		cancelled.Add(1)
		<-release
		assert.Zero(t, c.closed.Load(), "the conn stays open while its handler runs")
		returned.Add(1)
	})
	conns := make([]*fakeConn, live)
	for i := range conns {
		conns[i] = &fakeConn{id: i}
		l.conns <- conns[i]
	}
	<-allStarted
	cancel()
	select {
	case <-done:
		t.Fatal("Serve returned while handlers were running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-done)
	assert.EqualValues(t, live, cancelled.Load(), "every handler's ctx was cancelled")
	assert.EqualValues(t, live, returned.Load(), "Serve returned after every handler")
	for _, c := range conns {
		assert.EqualValues(t, 1, c.closed.Load())
	}
	assert.False(t, l.isClosed(), "Serve does not close the listener")
}

func TestServeListenerClosedElsewhere(t *testing.T) {
	l := newChanListener[*fakeConn]()
	inHandler := make(chan struct{})
	release := make(chan struct{})
	var handlerCtxErr error
	done := serveAsync(context.Background(), l, func(ctx context.Context, c *fakeConn) {
		close(inHandler)
		<-release
		handlerCtxErr = ctx.Err()
	})
	l.conns <- &fakeConn{}
	<-inHandler
	require.NoError(t, l.Close())
	select {
	case <-done:
		t.Fatal("Serve returned while a handler was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	err := <-done
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, handlerCtxErr, "handlers drain; only ctx cancels them")
}

func TestServeCtxAlreadyDone(t *testing.T) {
	l := newChanListener[*fakeConn]()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, Serve(ctx, l, func(context.Context, *fakeConn) { t.Error("handler ran") }))
}

// racingListener ends the serving ctx while returning a connection.
type racingListener struct {
	cancel context.CancelFunc
	conn   *fakeConn
}

func (r *racingListener) Accept(context.Context) (*fakeConn, error) {
	r.cancel()
	return r.conn, nil
}

func (r *racingListener) Close() error { return nil }

func TestServeConnAcceptedAsCtxEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &racingListener{cancel: cancel, conn: &fakeConn{}}
	require.NoError(t, Serve(ctx, l, func(context.Context, *fakeConn) { t.Error("handler ran") }))
	assert.EqualValues(t, 1, l.conn.closed.Load())
}

func TestServeOverTCP(t *testing.T) {
	// A ByteStream listener end to end: FromNetConn conns over loopback.
	l := newChanListener[ByteStream]()
	ctx, cancel := context.WithCancel(context.Background())
	done := serveAsync(ctx, l, func(ctx context.Context, s ByteStream) {
		buf := make([]byte, 64)
		for {
			n, err := s.Receive(ctx, buf)
			if err != nil {
				return
			}
			if s.Send(ctx, buf[:n]) != nil {
				return
			}
		}
	})
	a, b := tcpPair(t)
	l.conns <- FromNetConn(b)
	client := FromNetConn(a)
	defer client.Close()
	require.NoError(t, client.Send(ctx, []byte("echo")))
	buf := make([]byte, 4)
	_, err := Reader(ctx, client).Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "e", string(buf[:1]))
	cancel() // the handler's Receive is cancelled and it returns
	require.NoError(t, <-done)
}
