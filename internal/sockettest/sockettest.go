// Package sockettest holds the test and benchmark helpers the transports
// share: a context bounding a test's waits, a descriptor-leak check,
// byte-stream checks that every transport's Stream must pass with its own
// error prefix, and the bulk-transfer benchmark body run against the
// transport and against the net.Conn baseline.
//
// Every function takes a testing.TB (or *testing.B) and fails it on error.
// Only test files import this package.
package sockettest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Context returns a context that ends after d, or when the test ends: it
// bounds a test's waits, so that a bug fails the test instead of hanging it.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// CountFDs counts the process's open descriptors. It skips the test where
// they cannot be counted (no /proc).
func CountFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("cannot count descriptors:", err)
	}
	return len(entries)
}

// RequireNoFDLeak checks, when the test ends, that the number of open
// descriptors is back to what it was when it was called. It suits code that
// closes descriptors synchronously, so that no waiting is needed; the
// netpoller's own descriptors exist before any test runs. Tests using it
// must not run in parallel with others that open descriptors.
func RequireNoFDLeak(t testing.TB) {
	t.Helper()
	before := CountFDs(t)
	t.Cleanup(func() {
		require.Equal(t, before, CountFDs(t), "descriptors leaked")
	})
}
