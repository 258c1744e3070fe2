package streamtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// checkAlreadyCancelled (37): a cancelled ctx fails Send and Receive at once,
// even when they could complete, and they consume nothing.
func checkAlreadyCancelled(e *byteEnv) {
	ctx, cancel := context.WithCancel(bg)
	cancel()
	e.doneContextIsCheckpoint(ctx, "an already-cancelled context")
}

// checkPastDeadline (38): a deadline in the past fails Send and Receive at
// once with DeadlineExceeded, moving nothing.
func checkPastDeadline(e *byteEnv) {
	ctx, cancel := context.WithDeadline(bg, time.Now().Add(-time.Hour))
	defer cancel()
	e.doneContextIsCheckpoint(ctx, "a deadline in the past")
}

// doneContextIsCheckpoint checks Send and Receive with a ctx that is already
// done: each fails promptly with ctx's error, and no data moves.
func (e *byteEnv) doneContextIsCheckpoint(ctx context.Context, what string) {
	e.t.Helper()
	a, b := e.pair()
	err := e.call("Send with "+what, func() error { return a.Send(ctx, []byte("y")) })
	e.wantErr(err, "Send with "+what, ctx.Err())
	err = e.call("empty Send with "+what, func() error { return a.Send(ctx, nil) })
	e.wantErr(err, "empty Send with "+what+" (the ctx is checked before anything else)", ctx.Err())

	sent := e.sendAsync(a, []byte("x"))
	sent = e.letFinish(sent) // a buffering stream now holds "x"; a synchronous one offers it
	n, err := e.recvPrompt(ctx, b, make([]byte, 8), "Receive with "+what)
	e.wantErr(err, "Receive with "+what+" and data available", ctx.Err())
	if n != 0 {
		e.t.Errorf("Receive with %s returned %d bytes, want 0", what, n)
	}
	// Nothing of "y" went, nothing of "x" was consumed.
	e.expectData(b, []byte("x"), "Receive after a Send and a Receive with "+what)
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")

	e.wantNil(e.call("Close", a.Close), "Close after calls with "+what)
	e.wantNil(e.call("Close", b.Close), "peer Close after calls with "+what)
}

// checkNoEarlyTimeout (39): a Receive (and, on a clogged pair, a Send)
// blocked with a deadline returns DeadlineExceeded not before the deadline,
// and promptly after it.
func checkNoEarlyTimeout(e *byteEnv) {
	_, b := e.pair()
	p := make([]byte, 8)
	e.deadlineTimesOut("Receive", func(ctx context.Context) error {
		_, err := e.recv(ctx, b, p)
		return err
	})
	if e.cfg.opts.Clogged != nil {
		a, _ := e.clogged()
		big := make([]byte, 256<<10)
		e.deadlineTimesOut("Send on the clogged pair", func(ctx context.Context) error { return a.Send(ctx, big) })
	}
}

// deadlineTimesOut runs f with a context whose deadline is 100 ms away and
// checks that it fails with DeadlineExceeded, not early and not late.

func (e *byteEnv) deadlineTimesOut(what string, f func(ctx context.Context) error) {
	e.t.Helper()
	deadline := time.Now().Add(100 * time.Millisecond)
	ctx, cancel := context.WithDeadline(bg, deadline)
	defer cancel()
	err := await(e.harness, async(e.harness, func() error { return f(ctx) }), 100*time.Millisecond+e.tm.prompt,
		"a blocked "+what+" with a 100 ms deadline")
	if now := time.Now(); now.Before(deadline) {
		e.t.Errorf("blocked %s with a deadline returned %v before it", what, deadline.Sub(now))
	}
	e.wantErr(err, "blocked "+what+" with a deadline", context.DeadlineExceeded)
}

// checkCancelBlockedReceive (40): cancelling a blocked Receive returns
// Canceled promptly with nothing received, and the next Receive gets data
// sent afterwards.
func checkCancelBlockedReceive(e *byteEnv) {
	a, b := e.pair()
	ctx, cancel := context.WithCancel(bg)
	r := e.recvAsync(ctx, b, make([]byte, 8))
	e.settle()
	cancel()
	res := await(e.harness, r, e.tm.prompt, "a blocked Receive after its context was cancelled")
	e.wantErr(res.err, "cancelled Receive", context.Canceled)
	if res.n != 0 {
		e.t.Errorf("cancelled Receive returned %d bytes, want 0", res.n)
	}
	sent := e.sendAsync(a, []byte("after"))
	e.expectData(b, []byte("after"), "Receive after a cancelled Receive")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
	cancelLatency(e.harness, "a blocked Receive", func(ctx context.Context) <-chan recvResult {
		return e.recvAsync(ctx, b, make([]byte, 8))
	})
}

// checkCancelBlockedSend (41): cancelling a blocked Send returns the ctx
// error promptly. A cancel-safe stream then carries on after a resync; any
// other reports ErrBroken from then on. Close works either way.
func checkCancelBlockedSend(e *byteEnv) {
	a, b := e.clogged()
	ctx, cancel := context.WithCancel(bg)
	sent := e.blockedSend(ctx, a, make([]byte, 256<<10)) // zeros: the resync marker is 0xff
	cancel()
	e.wantErr(await(e.harness, sent, e.tm.prompt, "a blocked Send after its context was cancelled"),
		"cancelled Send", context.Canceled)

	if e.cfg.opts.SendBreaksOnCancel {
		err := e.call("Send after a cancelled Send", func() error { return a.Send(bg, []byte("x")) })
		if !errors.Is(err, stream.ErrBroken) {
			e.t.Errorf("Send after a cancelled Send on a stream that breaks on cancel: got %v, want stream.ErrBroken", errString(err))
		}
	} else {
		e.resync(a, b, 256<<10)
		e.roundTrip(a, b)
	}
	e.call("Close", a.Close)
	e.call("Close", b.Close)
}

// resync sends the 0xff marker on a and reads b up to it. What comes before
// it must be a prefix of at most limit zero bytes: what a cancelled Send had
// sent.
func (e *byteEnv) resync(a stream.ByteSender, b stream.ByteReceiver, limit int) {
	e.t.Helper()
	sent := e.sendAsync(a, []byte{0xff})
	buf := make([]byte, 32<<10)
	before := 0
	for {
		n, err := e.recvPrompt(bg, b, buf, "Receive while resynchronising")
		if err != nil {
			e.t.Fatalf("Receive while resynchronising after %d bytes: %v", before, err)
		}
		if i := bytes.IndexByte(buf[:n], 0xff); i >= 0 {
			if i != n-1 {
				e.t.Fatalf("data after the resync marker: the stream duplicated or invented bytes")
			}
			n--
			before += n
			if !isZero(buf[:n]) {
				e.t.Fatalf("bytes that were never sent arrived before the resync marker")
			}
			break
		}
		before += n
		if before > limit || !isZero(buf[:n]) {
			e.t.Fatalf("more than the cut Send's prefix arrived before the resync marker")
		}
	}
	if before > limit {
		e.t.Fatalf("%d bytes arrived before the resync marker, more than the %d a cut Send could send", before, limit)
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send of the resync marker"), "Send of the resync marker")
}

// roundTrip checks that data still flows both ways between a and b.
func (e *byteEnv) roundTrip(a, b stream.ByteStream) {
	e.t.Helper()
	sent := e.sendAsync(a, []byte("ping"))
	e.expectData(b, []byte("ping"), "round trip")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "round trip Send")
	sent = e.sendAsync(b, []byte("pong"))
	e.expectData(a, []byte("pong"), "round trip reply")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "round trip reply Send")
}

func isZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkCancelIndependence (42): a cancelled Receive does not disturb a Send
// on the same end, and a cancelled Send does not disturb a Receive.
func checkCancelIndependence(e *byteEnv) {
	a, b := e.pair()
	ctx, cancel := context.WithTimeout(bg, 3*e.tm.settle)
	r := e.recvAsync(ctx, a, make([]byte, 8))
	data := pattern(42, 4096)
	sent := e.sendAsync(a, data)
	e.expectData(b, data, "Send while a Receive on the same end times out")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send while a Receive on the same end times out")
	res := await(e.harness, r, e.tm.prompt, "a Receive with a deadline")
	cancel()
	e.wantErr(res.err, "Receive with a deadline and no data", context.DeadlineExceeded)
	e.roundTrip(a, b)

	a, b = e.cloggedOrPair()
	ctx, cancel = context.WithTimeout(bg, 3*e.tm.settle)
	defer cancel()
	sent = e.sendCtxAsync(ctx, a, make([]byte, 4<<20))
	back := e.sendAsync(b, []byte("q"))
	e.expectData(a, []byte("q"), "Receive while a Send on the same end times out")
	e.wantNil(await(e.harness, back, e.tm.prompt, "Send"), "peer Send")
	err := await(e.harness, sent, 3*e.tm.settle+e.tm.prompt, "a Send with a deadline")
	if err != nil {
		e.wantErr(err, "Send with a deadline", context.DeadlineExceeded)
	}
}

// checkCancelledReceiveLosesNothing (43): many Receives cut short by a 1 ms
// deadline, with the buffer overwritten after each, together receive an
// exact prefix of what was sent.
func checkCancelledReceiveLosesNothing(e *byteEnv) {
	a, b := e.pair()
	data := pattern(43, 1<<20)
	sent := async(e.harness, func() error {
		rng := rand.New(rand.NewSource(43))
		for off, i := 0, 0; off < len(data); i++ {
			n := min(1+rng.Intn(512), len(data)-off)
			if err := b.Send(bg, data[off:off+n]); err != nil {
				return err
			}
			off += n
			if i%32 == 0 {
				time.Sleep(time.Millisecond) // let some Receives time out
			}
		}
		return nil
	})
	rng := rand.New(rand.NewSource(44))
	p := make([]byte, 1024)
	var got []byte
	timeouts := 0
	for range 1000 {
		ctx, cancel := context.WithTimeout(bg, time.Millisecond)
		q := p[:1+rng.Intn(len(p))]
		n, err := e.recv(ctx, a, q)
		cancel()
		got = append(got, q[:n]...)
		for j := range p {
			p[j] = 0xEE
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				e.t.Fatalf("Receive with a 1 ms deadline returned %v, want nil or context.DeadlineExceeded", err)
			}
			timeouts++
		}
	}
	if i := firstDiff(got, data); i >= 0 {
		e.t.Fatalf("the %d bytes received with %d timed-out Receives differ from what was sent at byte %d: a cancelled Receive lost or duplicated data", len(got), timeouts, i)
	}
	e.t.Logf("received %d bytes in 1000 Receives, %d of them timed out", len(got), timeouts)
	e.call("Close", a.Close)
	<-sent // the sender ends with a broken stream
}

// checkTimedOutReceiveNotBusy (44): a Receive that timed out or was
// cancelled releases the receiving side at once.
func checkTimedOutReceiveNotBusy(e *byteEnv) {
	a, b := e.pair()
	p := make([]byte, 8)
	for i := range 5 {
		ctx, cancel := context.WithTimeout(bg, e.tm.settle/2)
		_, err := e.recvPrompt(ctx, b, p, "Receive with a short deadline")
		cancel()
		e.wantErr(err, fmt.Sprintf("Receive number %d with a short deadline after timed-out ones", i+1), context.DeadlineExceeded)
	}
	ctx, cancel := context.WithCancel(bg)
	r := e.recvAsync(ctx, b, p)
	e.settle()
	cancel()
	res := await(e.harness, r, e.tm.prompt, "a cancelled Receive")
	e.wantErr(res.err, "cancelled Receive", context.Canceled)
	ctx, cancel = context.WithTimeout(bg, e.tm.settle/2)
	_, err := e.recvPrompt(ctx, b, p, "Receive right after a cancelled one")
	cancel()
	e.wantErr(err, "Receive right after a cancelled one", context.DeadlineExceeded)

	sent := e.sendAsync(a, []byte("k"))
	e.expectData(b, []byte("k"), "Receive after timed-out Receives")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
}
