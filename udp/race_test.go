//go:build race

package udp

// raceEnabled: the race detector's instrumentation allocates, so the
// zero-allocation checks are skipped under it.
const raceEnabled = true
