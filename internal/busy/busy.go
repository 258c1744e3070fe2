// Package busy provides the one-goroutine-at-a-time guard that byte streams
// use to turn concurrent Receive (or Send) calls into stream.ErrBusy.
package busy

import "sync/atomic"

// Guard is held by at most one goroutine at a time. The zero value is free.
type Guard struct{ held atomic.Bool }

// TryAcquire takes the guard and reports whether it did. It never blocks.
func (g *Guard) TryAcquire() bool { return g.held.CompareAndSwap(false, true) }

// Release frees the guard. Only the holder may call it.
func (g *Guard) Release() { g.held.Store(false) }
