package deadline

import (
	"context"
	"sync"
)

// Shared holds the context registrations of the two Directions of one
// bidirectional stream, so that calls in both directions with the same
// context share one registration instead of making one each. It keeps two
// registrations, which is enough for each direction's call inside to be
// watched even when the two calls bring different contexts.
//
// Directions join it with InitShared; they must admit one call at a time
// each, as with InitExclusive. The registrations are dropped once every
// joined Direction is closed. A Shared must not be copied once used.
type Shared struct {
	mu   sync.Mutex
	dirs [2]*Direction
	regs [2]registration
}

// registration is one context.AfterFunc of a Shared.
type registration struct {
	done <-chan struct{} // Done channel it watches; nil when unused
	stop func() bool
	gen  uint64 // identifies the current AfterFunc
}

// InitShared prepares a zero Direction, as InitExclusive does, whose context
// registrations are kept in sh. At most two Directions join one Shared.
func (d *Direction) InitShared(sh *Shared, s Setter) {
	d.InitExclusive(s)
	d.shared = sh
	for i, e := range sh.dirs {
		if e == nil {
			sh.dirs[i] = d
			return
		}
	}
	panic("deadline: more than two Directions share one Shared")
}

// watch points d, about to arm with ctx, at a registration that watches
// done, replacing one that no armed call uses if none does. sh.mu is held.
func (sh *Shared) watch(d *Direction, ctx context.Context, done <-chan struct{}) {
	for i := range sh.regs {
		if sh.regs[i].done == done {
			d.reg = i
			return
		}
	}
	i := sh.unused(d)
	r := &sh.regs[i]
	if r.stop != nil {
		r.stop()
	}
	r.gen++
	gen := r.gen
	r.done = done
	r.stop = context.AfterFunc(ctx, func() { sh.wake(i, gen) })
	d.reg = i
}

// unused returns the index of a registration that the other Direction did
// not use last: its call inside, if any, relies on that one, and a later
// call of it with the same context finds it still there. With two
// registrations one always remains. sh.mu is held.
func (sh *Shared) unused(d *Direction) int {
	for _, e := range sh.dirs {
		if e != nil && e != d {
			return 1 - e.reg
		}
	}
	return 0
}

// wake runs when the context of registration i ends: every call inside that
// relies on it has its deadline expired.
func (sh *Shared) wake(i int, gen uint64) {
	sh.mu.Lock()
	if sh.regs[i].gen == gen {
		for _, e := range sh.dirs {
			if e != nil && e.armed && !e.grouped && e.reg == i && !e.closed {
				e.expire()
			}
		}
	}
	sh.mu.Unlock()
}

// close marks d closed and, once every joined Direction is, drops the
// registrations.
func (sh *Shared) close(d *Direction) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	d.closed = true
	for _, e := range sh.dirs {
		if e != nil && !e.closed {
			return
		}
	}
	for i := range sh.regs {
		r := &sh.regs[i]
		if r.stop != nil {
			r.stop()
			r.stop = nil
		}
		r.done = nil
	}
}
