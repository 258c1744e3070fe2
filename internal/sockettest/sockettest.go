// Package sockettest holds the test and benchmark helpers the socket
// transports (tcp, unix) share: a descriptor-leak check, byte-stream checks
// that every transport's Stream must pass with its own error prefix, and the
// bulk-transfer benchmark body run against the transport and against the
// net.Conn baseline.
//
// Every function takes a testing.TB (or *testing.B) and fails it on error.
// Only test files import this package.
package sockettest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

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
