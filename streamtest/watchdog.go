package streamtest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// timing holds the bounds the checks use. The defaults suit a loaded
// two-core machine running the race detector; the suite's own tests shorten
// them to keep deliberately failing runs quick.
type timing struct {
	// prompt bounds every call that must return "promptly": a call woken
	// by Close or cancellation, an immediate error, a bounded Close.
	prompt time.Duration
	// settle is how long a check waits to let a call block before acting
	// on it. Correctness never depends on it: a call that has not blocked
	// yet sees the same outcome, only the check exercises less.
	settle time.Duration
	// watchdog bounds a whole check; past it the check fails and its
	// streams are closed to release it.
	watchdog time.Duration
	// grace is how long the watchdog waits, after closing the streams, for
	// a stuck check and its goroutines to return before abandoning them.
	grace time.Duration
}

// defaultTiming is what the exported suites use unless an option says
// otherwise.
var defaultTiming = timing{
	prompt:   2 * time.Second,
	settle:   20 * time.Millisecond,
	watchdog: 30 * time.Second,
	grace:    5 * time.Second,
}

// withWatchdog returns tm with its watchdog bound replaced by d when d > 0.
func (tm timing) withWatchdog(d time.Duration) timing {
	if d > 0 {
		tm.watchdog = d
	}
	return tm
}

// checkT is the testing.TB a check runs with. The check runs on a goroutine
// of its own so that a hang can be reported instead of hanging the test
// binary: FailNow and SkipNow end that goroutine (runtime.Goexit), the
// runner waits for it under a watchdog, and reports arriving after the
// runner gave up on a stuck check are dropped instead of panicking the
// testing package. Every method may be called from any goroutine the check
// starts, except FailNow and SkipNow (and the calls that use them), which
// belong to the check's own goroutine.
type checkT struct {
	testing.TB

	failed  atomic.Bool
	skipped atomic.Bool

	// mu guards finished and serialises reports so that none is in flight
	// when the runner returns.
	mu       sync.Mutex
	finished bool
	skipMsg  string
}

func (c *checkT) report(msg string) {
	c.TB.Helper()
	c.failed.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished {
		c.TB.Error(msg)
	}
}

func (c *checkT) log(msg string) {
	c.TB.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished {
		c.TB.Log(msg)
	}
}

// finish stops forwarding reports; the runner calls it before returning.
func (c *checkT) finish() {
	c.mu.Lock()
	c.finished = true
	c.mu.Unlock()
}

// Fail marks the check failed and lets it continue.
func (c *checkT) Fail() {
	c.failed.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished {
		c.TB.Fail()
	}
}

// Failed reports whether the check has failed.
func (c *checkT) Failed() bool { return c.failed.Load() }

// Error reports a failure and lets the check continue.
func (c *checkT) Error(args ...any) { c.TB.Helper(); c.report(fmt.Sprintln(args...)) }

// Errorf reports a failure and lets the check continue.
func (c *checkT) Errorf(format string, args ...any) {
	c.TB.Helper()
	c.report(fmt.Sprintf(format, args...))
}

// FailNow marks the check failed and ends the calling goroutine, which must
// be the check's own.
func (c *checkT) FailNow() { c.Fail(); runtime.Goexit() }

// Fatal reports a failure and ends the check.
func (c *checkT) Fatal(args ...any) { c.TB.Helper(); c.report(fmt.Sprintln(args...)); c.FailNow() }

// Fatalf reports a failure and ends the check.
func (c *checkT) Fatalf(format string, args ...any) {
	c.TB.Helper()
	c.report(fmt.Sprintf(format, args...))
	c.FailNow()
}

// Log records a message in the test log.
func (c *checkT) Log(args ...any) { c.TB.Helper(); c.log(fmt.Sprintln(args...)) }

// Logf records a message in the test log.
func (c *checkT) Logf(format string, args ...any) { c.TB.Helper(); c.log(fmt.Sprintf(format, args...)) }

// SkipNow ends the check; the runner then skips the test it runs in.
func (c *checkT) SkipNow() { c.skipped.Store(true); runtime.Goexit() }

// Skip logs its arguments and ends the check as skipped.
func (c *checkT) Skip(args ...any) { c.setSkipMsg(fmt.Sprintln(args...)); c.SkipNow() }

// Skipf logs a message and ends the check as skipped.
func (c *checkT) Skipf(format string, args ...any) {
	c.setSkipMsg(fmt.Sprintf(format, args...))
	c.SkipNow()
}

// Skipped reports whether the check was skipped.
func (c *checkT) Skipped() bool { return c.skipped.Load() }

func (c *checkT) setSkipMsg(msg string) {
	c.mu.Lock()
	c.skipMsg = msg
	c.mu.Unlock()
}

// harness is what every check gets besides its testing.TB: goroutines it
// can start without leaking them, and teardown functions that release its
// streams. The runner runs the teardowns when the check returns, or earlier
// when the watchdog fires, which is how a call stuck in a stream is woken.
type harness struct {
	t  *checkT
	tm timing

	wg sync.WaitGroup

	// mu guards the fields below.
	mu        sync.Mutex
	teardowns []func()
	tornDown  bool
	untracked bool // the runner waits for no more goroutines
}

// Go runs f on a new goroutine that the runner waits for after the check.
// f must return once the check's streams are closed.
func (h *harness) Go(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.untracked {
		// Only an abandoned check gets here; the runner no longer waits.
		go f()
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		f()
	}()
}

// waitGoroutines waits up to d for the goroutines started with Go and
// reports whether they all returned. Goroutines started later are not
// waited for.
func (h *harness) waitGoroutines(d time.Duration) bool {
	h.mu.Lock()
	h.untracked = true
	h.mu.Unlock()
	all := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(all)
	}()
	return waitFor(all, d)
}

// onTeardown registers f to run when the check ends or is abandoned. Once
// the teardown has begun, f runs at once.
func (h *harness) onTeardown(f func()) {
	h.mu.Lock()
	if h.tornDown {
		h.mu.Unlock()
		f()
		return
	}
	h.teardowns = append(h.teardowns, f)
	h.mu.Unlock()
}

// teardown runs the registered teardowns, newest first, each once.
func (h *harness) teardown() {
	h.mu.Lock()
	h.tornDown = true
	fs := h.teardowns
	h.teardowns = nil
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// async runs f on a harness goroutine and returns a channel that receives
// its result.
func async[R any](h *harness, f func() R) <-chan R {
	ch := make(chan R, 1)
	h.Go(func() { ch <- f() })
	return ch
}

// await returns the value ch delivers, or fails the check when none arrives
// within d; what names the awaited call in the failure message.
func await[R any](h *harness, ch <-chan R, d time.Duration, what string) R {
	h.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		h.t.Fatalf("%s did not return within %v", what, d)
		panic("unreachable")
	}
}

// pending reports whether ch is still empty after the settle delay: the call
// behind it is (still) blocked.
func pending[R any](h *harness, ch <-chan R) bool {
	timer := time.NewTimer(h.tm.settle)
	defer timer.Stop()
	select {
	case <-ch:
		return false
	case <-timer.C:
		return true
	}
}

// settle sleeps for the settle delay to let another goroutine block first.
func (h *harness) settle() { time.Sleep(h.tm.settle) }

// runCheck runs body on its own goroutine under the watchdog and returns
// when body and every goroutine it started through the harness returned, or
// were abandoned as stuck (which fails tb). A skip inside body skips tb.
// runCheck must be called on tb's own goroutine.
func runCheck(tb testing.TB, tm timing, body func(h *harness)) {
	tb.Helper()
	ct := &checkT{TB: tb}
	h := &harness{t: ct, tm: tm}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(h)
	}()

	watchdog := time.NewTimer(tm.watchdog)
	defer watchdog.Stop()
	select {
	case <-done:
	case <-watchdog.C:
		ct.Errorf("watchdog: the check did not finish within %v; closing its streams", tm.watchdog)
		h.teardown()
		if !waitFor(done, tm.grace) {
			ct.Errorf("watchdog: the check is still blocked %v after its streams were closed; abandoning it", tm.grace)
		}
	}

	h.teardown()
	if !h.waitGoroutines(tm.grace) {
		ct.Errorf("goroutines of the check are still blocked %v after its streams were closed; abandoning them", tm.grace)
	}
	ct.finish()

	if ct.skipped.Load() && !ct.failed.Load() {
		ct.mu.Lock()
		msg := ct.skipMsg
		ct.mu.Unlock()
		tb.Skip(msg)
	}
}

// waitFor reports whether ch was closed within d.
func waitFor(ch <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}

// Cancellation latency: a call blocked on a ctx must return as soon as the
// ctx ends, by waiting on it rather than polling it. The median of a few
// samples keeps one scheduling hiccup on a loaded machine from failing a
// check, while a call that notices late every time does.
const (
	cancelSamples = 5
	cancelBound   = 50 * time.Millisecond
)

// cancelLatency starts a call with start, which runs it on a harness
// goroutine with ctx and delivers its outcome; cancels ctx once the call has
// had the settle delay to block; and times its return. It does so
// cancelSamples times and fails the check when the median is above
// cancelBound. The outcomes are not inspected: other checks do that.
func cancelLatency[R any](h *harness, what string, start func(ctx context.Context) <-chan R) {
	h.t.Helper()
	var took []time.Duration
	for range cancelSamples {
		ctx, cancel := context.WithCancel(context.Background())
		done := start(ctx)
		h.settle()
		t0 := time.Now()
		cancel()
		await(h, done, h.tm.prompt, what+" after its context was cancelled")
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	if median := took[len(took)/2]; median > cancelBound {
		h.t.Errorf("%s took a median %v to return once its context was cancelled (samples %v), more than %v: it must wait on ctx.Done, not poll or notice late", what, median.Round(time.Millisecond), took, cancelBound)
	}
}
