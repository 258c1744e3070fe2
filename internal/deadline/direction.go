package deadline

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// Direction is one direction (receiving or sending) of a socket. It admits
// one call at a time into the kernel and maps that call's context onto the
// socket's read or write deadline, so that a blocked call wakes when its
// context ends.
//
// The kernel side is serialised anyway (the runtime's poller lets one reader
// and one writer at a time into a descriptor), so the slot costs no
// parallelism; what it buys is that the socket-wide deadline always belongs
// to exactly one call.
//
// A context's end, by cancellation or by its deadline, is watched with
// context.AfterFunc, which then moves the socket deadline into the past. The
// context's own deadline is not copied onto the socket: waking only through
// the AfterFunc guarantees that ctx.Err() is set by the time the call
// returns. The registration is kept after the call ends and reused while
// later calls bring a context with the same Done channel, so a long-lived
// context costs no allocation per call; between calls it is disarmed and a
// late cancellation does nothing.
//
// A call is Begin, then the kernel call (repeated while Retry says so), then
// End. A Direction must not be copied once used.
type Direction struct {
	slot   *slot // admits one call at a time; nil when callers serialise themselves
	setter Setter

	shared *Shared // when set, its lock and registrations replace mu, done, stop and gen
	reg    int     // index of the shared registration the armed call uses

	group   *Group    // when set, tried before the other registrations
	link    groupLink // d's place in group's list; guarded by group.mu
	grouped bool      // the armed call relies on group's registration
	armSeq  uint64    // counts the calls armed, to tell them apart in group

	mu      sync.Mutex // guards the fields below and every deadline change
	closed  bool
	done    <-chan struct{} // Done channel the registration watches
	stop    func() bool     // cancels the registration
	gen     uint64          // identifies the current registration
	armed   bool            // a call with context done is inside
	expired bool            // the socket deadline is in the past
}

// Setter moves the deadline of one direction of a socket: its
// SetReadDeadline or SetWriteDeadline under one name.
type Setter interface {
	SetDeadline(t time.Time) error
}

// setterFunc is a deadline-setting method value as a Setter.
type setterFunc func(time.Time) error

func (f setterFunc) SetDeadline(t time.Time) error { return f(t) }

// NewDirection returns a Direction that moves its socket's deadline with
// setDeadline (the conn's SetReadDeadline or SetWriteDeadline).
func NewDirection(setDeadline func(time.Time) error) Direction {
	return Direction{slot: new(slot), setter: setterFunc(setDeadline)}
}

// InitExclusive prepares a zero Direction that moves its socket's deadline
// with s, for callers that already admit one call at a time themselves (a
// busy guard that turns a second call away): Begin then never waits for a
// slot, and the Direction allocates nothing until a call brings a context
// that can end. Begin and End must not overlap another Begin and End.
func (d *Direction) InitExclusive(s Setter) {
	d.setter = s
}

// Begin takes the slot and arms the wake-up for ctx. It fails with ctx's
// error when ctx is already done or ends while waiting for the slot, and
// with stream.ErrClosed when closing is closed before the slot is free or
// the Direction is closed. A call whose ctx never ends is let in without
// looking at Close (the kernel call then reports the closed socket), so
// callers check their own closed state first. Every successful Begin is
// paired with End.
func (d *Direction) Begin(ctx context.Context, closing <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.slot != nil {
		if err := d.slot.take(ctx, closing); err != nil {
			return err
		}
	}
	done := ctx.Done()
	if done == nil && !d.expired {
		// Fast path: a context that never ends, on a socket without an
		// expired deadline. Only the slot holder changes expired while
		// no call is armed, so reading it here is safe. A closed socket
		// is reported by the kernel call itself.
		return nil
	}
	if err := d.arm(ctx, done); err != nil {
		d.End()
		return err
	}
	return nil
}

// arm registers ctx's end (unless the current registration already watches
// its Done channel), marks the call armed and clears an expired deadline.
func (d *Direction) arm(ctx context.Context, done <-chan struct{}) error {
	mu := d.lock()
	mu.Lock()
	if d.closed {
		mu.Unlock()
		return stream.ErrClosed
	}
	if done != nil {
		d.armSeq++
		switch {
		case d.group != nil && d.group.watch(d, ctx, done):
			d.grouped = true
		case d.shared != nil:
			d.shared.watch(d, ctx, done)
		case done != d.done:
			d.register(ctx, done)
		}
		d.armed = true
	}
	d.clear()
	mu.Unlock()
	// An end that came after the first check but before the call was
	// armed found nothing to wake; look once more.
	if done != nil {
		return ctx.Err()
	}
	return nil
}

// register replaces the registration by one for ctx. d.mu is held.
func (d *Direction) register(ctx context.Context, done <-chan struct{}) {
	if d.stop != nil {
		d.stop()
	}
	d.gen++
	gen := d.gen
	d.done = done
	d.stop = context.AfterFunc(ctx, func() { d.wake(gen) })
}

// wake runs when a watched context ends: if a call is inside with that
// context, it expires the deadline so the call returns at once.
func (d *Direction) wake(gen uint64) {
	d.mu.Lock()
	if d.armed && !d.grouped && d.gen == gen && !d.closed {
		d.expire()
	}
	d.mu.Unlock()
}

// lock returns the mutex that guards d's state: the Shared one, if any.
func (d *Direction) lock() *sync.Mutex {
	if d.shared != nil {
		return &d.shared.mu
	}
	return &d.mu
}

// expire moves the deadline into the past for the armed call. Its lock is
// held.
func (d *Direction) expire() {
	// An error means the socket is closed, which the call reports.
	_ = d.setter.SetDeadline(Past)
	d.expired = true
}

// clear removes an expired deadline. d.mu is held, or the caller is the
// unarmed slot holder.
func (d *Direction) clear() {
	if d.expired {
		_ = d.setter.SetDeadline(time.Time{})
		d.expired = false
	}
}

// End disarms the call and frees the slot for the next one. Only the slot
// holder writes armed, so it may read it without the lock.
func (d *Direction) End() {
	if d.armed {
		mu := d.lock()
		mu.Lock()
		d.armed = false
		if d.grouped {
			d.grouped = false
			d.group.leave(d)
		}
		mu.Unlock()
	}
	if d.slot != nil {
		d.slot.release()
	}
}

// Retry decides what a call does after the kernel reported err. It returns
// ctx's error when err is the wake-up of an ended ctx, nil when it was a
// stray deadline (the call should try again; the deadline is now cleared),
// and err itself otherwise.
func (d *Direction) Retry(ctx context.Context, err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	// Someone else set a deadline (through the raw socket, say): the
	// context alone decides when this call ends. It may have ended since
	// the look above, its wake-up expiring the deadline under the lock:
	// look again under the lock, or the clearing would undo the wake-up.
	mu := d.lock()
	mu.Lock()
	defer mu.Unlock()
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if !d.closed {
		_ = d.setter.SetDeadline(time.Time{})
		d.expired = false
	}
	return nil
}

// Close drops the registration; calls that arm afterwards fail with
// stream.ErrClosed, and a context that ends later no longer touches the
// socket. It is idempotent. Close does not close the socket; the caller
// does, which wakes a call inside.
func (d *Direction) Close() {
	if d.shared != nil {
		d.shared.close(d)
		return
	}
	d.mu.Lock()
	d.closed = true
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
	d.done = nil
	d.mu.Unlock()
}
