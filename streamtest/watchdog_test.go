package streamtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var watchdogTiming = timing{
	prompt:   100 * time.Millisecond,
	settle:   5 * time.Millisecond,
	watchdog: 100 * time.Millisecond,
	grace:    100 * time.Millisecond,
}

func TestWatchdogReleasesStuckCheckByTeardown(t *testing.T) {
	rec := &recorder{TB: t}
	start := time.Now()
	runCheck(rec, watchdogTiming, func(h *harness) {
		released := make(chan struct{})
		h.onTeardown(func() { close(released) }) // as closing a stream would
		<-released
	})
	assert.Less(t, time.Since(start), 2*time.Second, "runCheck did not return soon after the watchdog fired")
	assert.True(t, rec.Failed(), "a check that hung until the watchdog passed")
	assert.Contains(t, rec.String(), "did not finish within")
	assert.NotContains(t, rec.String(), "abandoning", "the teardown released the check, yet it was abandoned")
}

func TestWatchdogAbandonsCheckStuckForGood(t *testing.T) {
	stuck := make(chan struct{})
	exited := make(chan struct{})
	rec := &recorder{TB: t}
	start := time.Now()
	runCheck(rec, watchdogTiming, func(h *harness) {
		defer close(exited)
		<-stuck
		h.t.Errorf("a report after the runner gave up")
	})
	assert.Less(t, time.Since(start), 2*time.Second, "runCheck did not give up on a stuck check")
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.String(), "abandoning it")

	// The abandoned goroutine's late report is dropped, not delivered to a
	// finished test.
	close(stuck)
	<-exited
	assert.NotContains(t, rec.String(), "after the runner gave up")
}

func TestWatchdogReportsStuckHelperGoroutine(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	rec := &recorder{TB: t}
	runCheck(rec, watchdogTiming, func(h *harness) {
		h.Go(func() { <-stuck })
	})
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.String(), "goroutines of the check are still blocked")
}

func TestCheckFatalEndsOnlyTheCheck(t *testing.T) {
	rec := &recorder{TB: t}
	reached := false
	runCheck(rec, watchdogTiming, func(h *harness) {
		h.t.Fatalf("stop here")
		reached = true
	})
	assert.False(t, reached, "Fatalf did not end the check")
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.String(), "stop here")
	assert.NotContains(t, rec.String(), "watchdog")
}

func TestCheckSkip(t *testing.T) {
	rec := &recorder{TB: t}
	runCheck(rec, watchdogTiming, func(h *harness) { h.t.Skip("not applicable") })
	require.True(t, rec.skipped, "a skipping check did not skip the test")
	assert.False(t, rec.Failed())
	assert.Contains(t, rec.String(), "not applicable")
}

func TestTeardownRunsOnceNewestFirst(t *testing.T) {
	rec := &recorder{TB: t}
	var order []int
	runCheck(rec, watchdogTiming, func(h *harness) {
		h.onTeardown(func() { order = append(order, 1) })
		h.onTeardown(func() { order = append(order, 2) })
	})
	assert.Equal(t, []int{2, 1}, order)
	assert.False(t, rec.Failed(), "%s", rec)
}
