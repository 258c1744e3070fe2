//go:build !linux

package udp

import "testing"

// useLoops does nothing: without recvmmsg and sendmmsg the batch calls
// always use the portable loops.
func useLoops(*testing.T, bool) {}
