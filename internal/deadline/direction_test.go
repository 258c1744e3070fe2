package deadline_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// letBlock gives a goroutine time to block before the test acts on it.
func letBlock() { time.Sleep(20 * time.Millisecond) }

// pipe returns both ends of an in-memory connection, closed when the test
// ends. Its deadlines behave like a socket's.
func pipe(t *testing.T) (a, b net.Conn) {
	a, b = net.Pipe()
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

// read begins a call on d with ctx, reads from c until the read succeeds or
// Retry gives up, and ends the call.
func read(ctx context.Context, d *deadline.Direction, c net.Conn, buf []byte) (int, error) {
	if err := d.Begin(ctx, nil); err != nil {
		return 0, err
	}
	defer d.End()
	for {
		n, err := c.Read(buf)
		if err == nil {
			return n, nil
		}
		if err = d.Retry(ctx, err); err != nil {
			return 0, err
		}
	}
}

// writeSoon writes msg to c from a goroutine that the test waits for.
func writeSoon(t *testing.T, c net.Conn, msg string) {
	var wg sync.WaitGroup
	wg.Go(func() { c.Write([]byte(msg)) })
	t.Cleanup(wg.Wait)
}

func TestCancelWakesBlockedCall(t *testing.T) {
	a, b := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := read(ctx, &d, a, make([]byte, 8))
	require.ErrorIs(t, err, context.Canceled)

	// The expired deadline does not reach the next call.
	writeSoon(t, b, "next")
	buf := make([]byte, 8)
	n, err := read(context.Background(), &d, a, buf)
	require.NoError(t, err)
	require.Equal(t, "next", string(buf[:n]))
}

func TestContextDeadlineWakesBlockedCall(t *testing.T) {
	a, _ := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := read(ctx, &d, a, make([]byte, 8))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestDoneContextTakesNothing: a call with an ended ctx fails at once and
// leaves the slot free.
func TestDoneContextTakesNothing(t *testing.T) {
	a, _ := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Begin(ctx, nil), context.Canceled)
	require.NoError(t, d.Begin(context.Background(), nil), "the slot is free")
	d.End()
}

func TestOneCallAtATime(t *testing.T) {
	a, _ := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	require.NoError(t, d.Begin(context.Background(), nil))

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	require.ErrorIs(t, d.Begin(ctx, nil), context.Canceled, "waits for the slot until ctx ends")

	closing := make(chan struct{})
	close(closing)
	require.ErrorIs(t, d.Begin(context.Background(), closing), stream.ErrClosed)

	d.End()
	require.NoError(t, d.Begin(context.Background(), nil), "End frees the slot")
	d.End()
}

// TestStrayDeadlineIsRetried: a deadline somebody else set does not end a
// call whose ctx is still live.
func TestStrayDeadlineIsRetried(t *testing.T) {
	a, b := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	require.NoError(t, d.Begin(context.Background(), nil))
	defer d.End()
	require.NoError(t, a.SetReadDeadline(deadline.Past))
	_, err := a.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, d.Retry(context.Background(), err), "try again")

	writeSoon(t, b, "x")
	n, err := a.Read(make([]byte, 1))
	require.NoError(t, err, "the stray deadline is cleared")
	require.Equal(t, 1, n)

	other := errors.New("other")
	require.Same(t, other, d.Retry(context.Background(), other), "other errors pass through")
}

// errHookCtx is a manualCtx that runs hook inside its nth Err call, after
// reading the error it returns: as if the goroutine that asked had been
// preempted just after the answer, while the context ended.
type errHookCtx struct {
	*manualCtx
	calls, nth int
	hook       func()
}

func (c *errHookCtx) Err() error {
	err := c.manualCtx.Err()
	if c.calls++; c.calls == c.nth {
		c.hook()
	}
	return err
}

// TestRetryKeepsWakeOfEndingContext: a stray deadline is being cleared just
// as the call's context ends and its wake-up expires the deadline. The
// wake-up must win, or the call goes back to wait with nothing to wake it.
func TestRetryKeepsWakeOfEndingContext(t *testing.T) {
	a, _ := pipe(t)
	expired := make(chan struct{}, 1)
	d := deadline.NewDirection(func(t time.Time) error {
		err := a.SetReadDeadline(t)
		if t.Equal(deadline.Past) {
			expired <- struct{}{}
		}
		return err
	})
	manual := newManualCtx()
	// Err calls: Begin's, arm's, then Retry's first look, during which the
	// context ends and its wake-up (run by context.AfterFunc on a goroutine
	// of its own) expires the deadline.
	ctx := &errHookCtx{manualCtx: manual, nth: 3, hook: func() {
		manual.cancel()
		select {
		case <-expired:
		case <-time.After(5 * time.Second):
			t.Error("the wake-up did not expire the deadline")
		}
	}}
	require.NoError(t, a.SetReadDeadline(deadline.Past)) // stray: set by someone else
	done := make(chan error, 1)
	go func() {
		_, err := read(ctx, &d, a, make([]byte, 1))
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		a.Close()
		<-done
		t.Fatal("the call did not return although its context ended")
	}
}

func TestCloseRefusesCallsThatCanEnd(t *testing.T) {
	a, _ := pipe(t)
	d := deadline.NewDirection(a.SetReadDeadline)
	d.Close()
	d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.ErrorIs(t, d.Begin(ctx, nil), stream.ErrClosed)
	// A call that cannot be cancelled is left to the kernel call, which
	// reports the closed socket.
	require.NoError(t, d.Begin(context.Background(), nil))
	d.End()
}

// manualCtx is a context whose end the test triggers, running the functions
// registered with context.AfterFunc synchronously, so that a test knows
// they have run.
type manualCtx struct {
	context.Context
	done chan struct{}

	mu         sync.Mutex
	err        error
	funcs      map[int]func()
	next       int
	registered int
}

func newManualCtx() *manualCtx {
	return &manualCtx{Context: context.Background(), done: make(chan struct{}), funcs: map[int]func(){}}
}

func (c *manualCtx) Done() <-chan struct{} { return c.done }

func (c *manualCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc is what context.AfterFunc calls for a context that has it.
func (c *manualCtx) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	c.registered++
	c.funcs[id] = f
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[id]
		delete(c.funcs, id)
		return ok
	}
}

// pending counts the registrations not stopped yet.
func (c *manualCtx) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.funcs)
}

// cancel ends the context and runs the registered functions.
func (c *manualCtx) cancel() {
	for _, f := range c.end() {
		f()
	}
}

// end ends the context and returns the registered functions, unrun: as
// context.AfterFunc's goroutines are before they get to run.
func (c *manualCtx) end() map[int]func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = context.Canceled
	close(c.done)
	funcs := c.funcs
	c.funcs = map[int]func(){}
	return funcs
}

// deadlines records the deadlines a Direction sets, signalling each on
// changed.
type deadlines struct {
	mu      sync.Mutex
	set     []time.Time
	changed chan struct{}
}

func newDeadlines() *deadlines { return &deadlines{changed: make(chan struct{}, 16)} }

func (r *deadlines) setDeadline(t time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.set = append(r.set, t)
	r.changed <- struct{}{}
	return nil
}

func (r *deadlines) get() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.set...)
}

// TestRegistrationIsReused: calls with the same context share one
// registration.
func TestRegistrationIsReused(t *testing.T) {
	rec := newDeadlines()
	d := deadline.NewDirection(rec.setDeadline)
	ctx := newManualCtx()
	for range 3 {
		require.NoError(t, d.Begin(ctx, nil))
		d.End()
	}
	require.Equal(t, 1, ctx.registered)
	require.Empty(t, rec.get(), "no deadline is set while nothing ends")

	other := newManualCtx()
	require.NoError(t, d.Begin(other, nil))
	d.End()
	require.Equal(t, 1, other.registered)
	require.Zero(t, ctx.pending(), "the replaced registration was stopped")
	require.Equal(t, 1, other.pending(), "the registration outlives the call")
}

// TestCancelInsideSetsPastDeadline: ending the context of the call inside
// expires the deadline once; the next call clears it.
func TestCancelInsideSetsPastDeadline(t *testing.T) {
	rec := newDeadlines()
	d := deadline.NewDirection(rec.setDeadline)
	ctx := newManualCtx()
	require.NoError(t, d.Begin(ctx, nil))
	ctx.cancel()
	<-rec.changed
	require.Equal(t, []time.Time{deadline.Past}, rec.get())
	require.ErrorIs(t, d.Retry(ctx, os.ErrDeadlineExceeded), context.Canceled)
	d.End()

	require.NoError(t, d.Begin(context.Background(), nil))
	d.End()
	require.Equal(t, []time.Time{deadline.Past, {}}, rec.get())
}

func TestCloseStopsRegistration(t *testing.T) {
	rec := newDeadlines()
	d := deadline.NewDirection(rec.setDeadline)
	ctx := newManualCtx()
	require.NoError(t, d.Begin(ctx, nil))
	d.Close()
	require.Zero(t, ctx.pending(), "a closed direction stops watching")
	d.End()
	require.Empty(t, rec.get())
}

// TestSteadyStateAllocatesNothing: a call with a context that never ends,
// and one with a reused cancellable context, allocate nothing.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	d := deadline.NewDirection(func(time.Time) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, cx := range []context.Context{context.Background(), ctx} {
		require.NoError(t, d.Begin(cx, nil))
		d.End()
		allocs := testing.AllocsPerRun(200, func() {
			if err := d.Begin(cx, nil); err != nil {
				t.Fatal(err)
			}
			d.End()
		})
		require.Zero(t, allocs)
	}
}

func ExampleDirection() {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	recv := deadline.NewDirection(a.SetReadDeadline)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()

	if err := recv.Begin(ctx, nil); err != nil {
		fmt.Println(err)
		return
	}
	defer recv.End()
	for {
		_, err := a.Read(make([]byte, 1))
		if err = recv.Retry(ctx, err); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Output: context deadline exceeded
}

// readSetter is a pipe end's read deadline as a deadline.Setter.
type readSetter struct{ c net.Conn }

func (s *readSetter) SetDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

// TestExclusiveDirection: a Direction without a slot still wakes a blocked
// call when its context ends, and its steady state allocates nothing.
func TestExclusiveDirection(t *testing.T) {
	a, _ := pipe(t)
	var d deadline.Direction
	d.InitExclusive(&readSetter{a})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := read(ctx, &d, a, make([]byte, 1))
		done <- err
	}()
	letBlock()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	live, stop := context.WithCancel(context.Background())
	defer stop()
	for _, cx := range []context.Context{context.Background(), live} {
		require.NoError(t, d.Begin(cx, nil))
		d.End()
		allocs := testing.AllocsPerRun(200, func() {
			if err := d.Begin(cx, nil); err != nil {
				t.Fatal(err)
			}
			d.End()
		})
		require.Zero(t, allocs)
	}
}
