package stream

import (
	"context"
	"sync"
	"time"
)

// deadline is one direction's deadline of a conn made by NetConn, presented
// to the stream underneath as a context. It follows net.Pipe: a channel is
// closed when the deadline passes, and the same channel is kept while it has
// not fired, so that moving the deadline of a blocked call takes effect.
//
// The channel belongs to a deadlineContext. Once it has fired, the next
// SetDeadline that needs an open channel starts a fresh deadlineContext; a
// context is therefore never reopened, which keeps Done and Err consistent
// for whoever still holds it. Setting a deadline allocates only then.
type deadline struct {
	mu     sync.Mutex // guards the following
	when   time.Time  // zero for no deadline
	timer  *time.Timer
	ctx    *deadlineContext
	closed bool
}

func newDeadline() *deadline {
	return &deadline{ctx: newDeadlineContext()}
}

// context returns the context that ends when the deadline passes.
func (d *deadline) context() *deadlineContext {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ctx
}

// set moves the deadline to t; the zero time means none. It reports false
// once the deadline was stopped.
func (d *deadline) set(t time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.when = t
	if d.timer != nil {
		// A callback that already started finds when changed and does
		// nothing (see expire).
		d.timer.Stop()
	}
	if t.IsZero() {
		d.reopen()
		return true
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.ctx.fire()
		return true
	}
	d.reopen()
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.expire)
	} else {
		d.timer.Reset(wait)
	}
	return true
}

// reopen starts a fresh context if the current one has fired. Called with
// d.mu held.
func (d *deadline) reopen() {
	if d.ctx.hasFired() {
		d.ctx = newDeadlineContext()
	}
}

// expire runs on the timer. The deadline may have moved since the timer was
// set, so it fires only when the current deadline has really passed and
// otherwise waits again.
func (d *deadline) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.when.IsZero() {
		return
	}
	if wait := time.Until(d.when); wait > 0 {
		d.timer.Reset(wait)
		return
	}
	d.ctx.fire()
}

// stop releases the timer; later calls to set report false.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
	}
}

// deadlineContext is a context.Context that is done once a NetConn deadline
// passes. It carries no values and reports no Deadline (the deadline can
// still move while a call runs), so the stream below waits on Done.
//
// It implements the AfterFunc method that package context looks for, so
// context.AfterFunc on it starts no goroutine until the deadline fires.
type deadlineContext struct {
	done chan struct{}

	mu    sync.Mutex // guards the following
	fired bool
	funcs map[*afterFunc]struct{}
}

// afterFunc is one registration made through deadlineContext.AfterFunc.
type afterFunc struct{ f func() }

func newDeadlineContext() *deadlineContext {
	return &deadlineContext{done: make(chan struct{})}
}

// Deadline reports no deadline: see deadlineContext.
func (c *deadlineContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed when the deadline passes.
func (c *deadlineContext) Done() <-chan struct{} { return c.done }

// Err is context.DeadlineExceeded once Done is closed, and nil before.
func (c *deadlineContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// Value returns nil: the context carries no values.
func (c *deadlineContext) Value(any) any { return nil }

// String names the context in debugging output.
func (c *deadlineContext) String() string { return "stream.NetConn deadline" }

// AfterFunc arranges for f to run in its own goroutine once the context is
// done, like context.AfterFunc; stop cancels that and reports whether it
// did.
func (c *deadlineContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if c.funcs == nil {
		c.funcs = make(map[*afterFunc]struct{})
	}
	c.funcs[a] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.funcs[a]; !ok {
			return false
		}
		delete(c.funcs, a)
		return true
	}
}

func (c *deadlineContext) hasFired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// fire closes Done and starts the registered functions, once.
func (c *deadlineContext) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		return
	}
	c.fired = true
	close(c.done)
	for a := range c.funcs {
		go a.f()
	}
	c.funcs = nil
}
