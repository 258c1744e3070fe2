package udp

import "testing"

// useLoops switches the batch calls to the portable loops (or back to
// recvmmsg and sendmmsg) for the rest of the test.
func useLoops(t *testing.T, on bool) {
	forceLoop = on
	t.Cleanup(func() { forceLoop = false })
}
