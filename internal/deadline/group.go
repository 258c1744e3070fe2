package deadline

import (
	"context"
	"sync"
)

// Group lets the Directions of many sockets (the streams of one
// connection, say) share one context registration: a server that serves
// every stream with the same context then registers its end once for the
// whole connection instead of once per stream.
//
// The Group watches one Done channel at a time, the first that a joined
// Direction's call brings; it keeps watching it until that context ends and
// its calls are woken, or the Group is closed, and then takes the next one. A call with another
// context falls back to the registrations of its Direction (or its
// Shared). Arming and disarming a call with the watched context only links
// and unlinks its Direction in a list: nothing is allocated.
//
// Directions join it with JoinGroup. Close drops the registration; a Group
// must not be copied once used.
type Group struct {
	mu     sync.Mutex
	closed bool
	done   <-chan struct{} // Done channel it watches; nil when none
	stop   func() bool
	gen    uint64     // identifies the current registration
	head   *Direction // armed Directions that rely on the registration
}

// groupLink is a Direction's place in its Group's list of armed calls. It
// is guarded by the Group's lock.
type groupLink struct {
	next, prev *Direction
	linked     bool
	seq        uint64 // the Direction's armSeq when it was linked
}

// JoinGroup makes d, prepared with InitExclusive, InitShared or
// NewDirection, use g's registration for calls whose context g watches.
// It must be called before d's first call.
func (d *Direction) JoinGroup(g *Group) {
	d.group = g
}

// watch links d, about to arm with ctx, into g's list when g watches done
// or can start to, and reports whether it did. d's lock is held.
func (g *Group) watch(d *Direction, ctx context.Context, done <-chan struct{}) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	if g.done != done {
		if g.done != nil && (!isClosed(g.done) || g.head != nil) {
			// Another context is still watched; taking it over
			// would cost a registration each time the two alternate.
			// One that has ended may still have calls for its
			// registered function to wake: that function gives up
			// once the group registers anew, so the group waits.
			return false
		}
		g.register(ctx, done)
	}
	g.link(d)
	return true
}

// register replaces the registration by one for ctx. g.mu is held.
func (g *Group) register(ctx context.Context, done <-chan struct{}) {
	if g.stop != nil {
		g.stop()
	}
	g.gen++
	gen := g.gen
	g.done = done
	g.stop = context.AfterFunc(ctx, func() { g.wake(gen) })
}

// link puts d at the head of the list. g.mu is held.
func (g *Group) link(d *Direction) {
	l := &d.link
	l.seq = d.armSeq
	if l.linked {
		return
	}
	l.linked = true
	l.prev = nil
	l.next = g.head
	if g.head != nil {
		g.head.link.prev = d
	}
	g.head = d
}

// unlink takes d out of the list, if it is in it. g.mu is held.
func (g *Group) unlink(d *Direction) {
	l := &d.link
	if !l.linked {
		return
	}
	if l.prev != nil {
		l.prev.link.next = l.next
	} else {
		g.head = l.next
	}
	if l.next != nil {
		l.next.link.prev = l.prev
	}
	*l = groupLink{}
}

// leave unlinks d, whose call is being disarmed. d's lock is held.
func (g *Group) leave(d *Direction) {
	g.mu.Lock()
	g.unlink(d)
	g.mu.Unlock()
}

// wake runs when the watched context ends: it takes the armed Directions
// off the list one by one and expires the deadline of each whose call is
// still the one that was linked. A Direction's lock is taken after g's is
// released, as arm and End take them in the other order.
func (g *Group) wake(gen uint64) {
	for {
		g.mu.Lock()
		d := g.head
		if g.gen != gen || d == nil {
			g.mu.Unlock()
			return
		}
		seq := d.link.seq
		g.unlink(d)
		g.mu.Unlock()

		mu := d.lock()
		mu.Lock()
		if d.armed && d.grouped && d.armSeq == seq && !d.closed {
			d.expire()
		}
		mu.Unlock()
	}
}

// Close drops the registration; later calls use their Direction's own. It
// is idempotent. Calls inside are not woken: whoever closes the Group
// closes their sockets too.
func (g *Group) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.stop != nil {
		g.stop()
		g.stop = nil
	}
	g.done = nil
	g.gen++
}

// isClosed reports whether done is closed.
func isClosed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
