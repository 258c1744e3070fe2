package streamtest

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"

	"github.com/anyio-go/anyio/stream"
)

// listenerCheck is one property of the listener contract.
type listenerCheck[T io.Closer] struct {
	name string
	run  func(e *listenerEnv[T])
}

// listenerChecks lists the listener checks in the order they run.
func listenerChecks[T io.Closer]() []listenerCheck[T] {
	return []listenerCheck[T]{
		{"AcceptDialled", checkAcceptDialled[T]},
		{"AcceptCancel", checkAcceptCancel[T]},
		{"CloseWakesAccept", checkCloseWakesAccept[T]},
		{"AcceptAfterClose", checkAcceptAfterClose[T]},
		{"CloseIdempotent", checkListenerCloseIdempotent[T]},
	}
}

// listenerEnv is what a listener check works with.
type listenerEnv[T io.Closer] struct {
	*harness
	mk MakeListener[T]
}

// runListenerCheck runs c as the test tb under the watchdog.
func runListenerCheck[T io.Closer](tb testing.TB, tm timing, mk MakeListener[T], c listenerCheck[T]) {
	tb.Helper()
	runCheck(tb, tm, func(h *harness) { c.run(&listenerEnv[T]{harness: h, mk: mk}) })
}

// listener returns a fresh listener and its dial function, released when the
// check ends.
func (e *listenerEnv[T]) listener() (stream.Listener[T], func(ctx context.Context) (io.Closer, error)) {
	e.t.Helper()
	l, dial, stop := e.mk(e.t)
	if l == nil || dial == nil {
		e.t.Fatalf("the maker returned a nil listener or dial function")
	}
	var once sync.Once
	e.onTeardown(func() {
		once.Do(func() {
			l.Close()
			if stop != nil {
				stop()
			}
		})
	})
	return l, dial
}

// keep closes c when the check ends.
func (e *listenerEnv[T]) keep(c io.Closer) {
	if c != nil && !isNil(c) {
		e.onTeardown(func() { c.Close() })
	}
}

// isNil reports whether v holds a nil pointer, map, channel, function or
// interface (an Accept that returned a typed nil).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.Slice:
		return rv.IsNil()
	}
	return false
}

type acceptResult[T any] struct {
	conn T
	err  error
}

// acceptAsync runs l.Accept(ctx) on a harness goroutine; a connection it
// returns is closed when the check ends.
func (e *listenerEnv[T]) acceptAsync(ctx context.Context, l stream.Listener[T]) <-chan acceptResult[T] {
	return async(e.harness, func() acceptResult[T] {
		c, err := l.Accept(ctx)
		if err == nil {
			e.keep(c)
		}
		return acceptResult[T]{c, err}
	})
}

// dialAsync runs dial on a harness goroutine; the connection is closed when
// the check ends.
func (e *listenerEnv[T]) dialAsync(dial func(context.Context) (io.Closer, error)) <-chan error {
	return async(e.harness, func() error {
		c, err := dial(bg)
		if err == nil {
			e.keep(c)
		}
		return err
	})
}

func (e *listenerEnv[T]) wantErr(err error, what string, targets ...error) {
	e.t.Helper()
	for _, target := range targets {
		if err != nil && errors.Is(err, target) {
			return
		}
	}
	e.t.Errorf("%s: got %v, want %s", what, errString(err), describe(targets))
}

// checkAcceptDialled: concurrent Accepts return concurrently dialled
// connections, one each.
func checkAcceptDialled[T io.Closer](e *listenerEnv[T]) {
	const n = 4
	l, dial := e.listener()
	var accepts []<-chan acceptResult[T]
	var dials []<-chan error
	for range n {
		accepts = append(accepts, e.acceptAsync(bg, l))
		dials = append(dials, e.dialAsync(dial))
	}
	for i, a := range accepts {
		r := await(e.harness, a, e.tm.prompt, "Accept with connections dialled")
		if r.err != nil || isNil(r.conn) {
			e.t.Errorf("Accept number %d of %d concurrently dialled connections returned (%v, %v), want a connection", i+1, n, r.conn, r.err)
		}
	}
	for i, d := range dials {
		if err := await(e.harness, d, e.tm.prompt, "dial"); err != nil {
			e.t.Errorf("dial number %d: %v", i+1, err)
		}
	}
}

// checkAcceptCancel: an Accept with a done ctx, or one whose ctx is cancelled
// while it waits, returns the ctx error promptly, takes no connection, and
// the listener keeps working.
func checkAcceptCancel[T io.Closer](e *listenerEnv[T]) {
	l, dial := e.listener()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	r := await(e.harness, e.acceptAsync(ctx, l), e.tm.prompt, "Accept with a cancelled context")
	e.wantErr(r.err, "Accept with an already-cancelled context", context.Canceled)

	ctx, cancel = context.WithCancel(bg)
	blocked := e.acceptAsync(ctx, l)
	e.settle()
	cancel()
	r = await(e.harness, blocked, e.tm.prompt, "a blocked Accept after its context was cancelled")
	e.wantErr(r.err, "cancelled Accept", context.Canceled)
	cancelLatency(e.harness, "a blocked Accept", func(ctx context.Context) <-chan acceptResult[T] {
		return e.acceptAsync(ctx, l)
	})

	// A done ctx consumes nothing, not even a connection that is waiting:
	// the next Accept gets it.
	dialled := e.dialAsync(dial)
	e.settle() // let the connection reach the listener (or its dial block until accepted)
	ctx, cancel = context.WithCancel(bg)
	cancel()
	r = await(e.harness, e.acceptAsync(ctx, l), e.tm.prompt, "Accept with a cancelled context and a connection waiting")
	e.wantErr(r.err, "Accept with an already-cancelled context and a connection waiting", context.Canceled)
	r = await(e.harness, e.acceptAsync(bg, l), e.tm.prompt, "Accept of a connection that waited through an Accept with a done context")
	if r.err != nil || isNil(r.conn) {
		e.t.Fatalf("Accept of a connection dialled before an Accept with a done context: (%v, %v), want that connection", r.conn, r.err)
	}
	if err := await(e.harness, dialled, e.tm.prompt, "dial"); err != nil {
		e.t.Fatalf("dial: %v", err)
	}
}

// checkCloseWakesAccept: Close wakes a blocked Accept with ErrClosed.
func checkCloseWakesAccept[T io.Closer](e *listenerEnv[T]) {
	l, _ := e.listener()
	blocked := e.acceptAsync(bg, l)
	e.settle()
	if err := await(e.harness, async(e.harness, l.Close), e.tm.prompt, "Close"); err != nil {
		e.t.Errorf("Close with an Accept blocked: %v", err)
	}
	r := await(e.harness, blocked, e.tm.prompt, "a blocked Accept after Close")
	e.wantErr(r.err, "blocked Accept woken by Close", stream.ErrClosed)
}

// checkAcceptAfterClose: Accept on a closed listener returns ErrClosed.
func checkAcceptAfterClose[T io.Closer](e *listenerEnv[T]) {
	l, _ := e.listener()
	if err := await(e.harness, async(e.harness, l.Close), e.tm.prompt, "Close"); err != nil {
		e.t.Errorf("Close: %v", err)
	}
	r := await(e.harness, e.acceptAsync(bg, l), e.tm.prompt, "Accept after Close")
	e.wantErr(r.err, "Accept after Close", stream.ErrClosed)
}

// checkListenerCloseIdempotent: Close after Close, and concurrent Closes,
// return nil.
func checkListenerCloseIdempotent[T io.Closer](e *listenerEnv[T]) {
	l, _ := e.listener()
	c1 := async(e.harness, l.Close)
	c2 := async(e.harness, l.Close)
	for _, c := range []<-chan error{c1, c2} {
		if err := await(e.harness, c, e.tm.prompt, "concurrent Close"); err != nil {
			e.t.Errorf("concurrent Close: %v, want nil", err)
		}
	}
	if err := await(e.harness, async(e.harness, l.Close), e.tm.prompt, "Close"); err != nil {
		e.t.Errorf("third Close: %v, want nil", err)
	}
}
