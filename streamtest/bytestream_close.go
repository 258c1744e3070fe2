package streamtest

import (
	"errors"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// checkUseAfterClose (17): every call on a closed end returns ErrClosed, not
// io.EOF and not broken.
func checkUseAfterClose(e *byteEnv) {
	a, _ := e.pair()
	e.wantNil(e.call("Close", a.Close), "Close")
	e.wantClosed(e.call("Send after Close", func() error { return a.Send(bg, []byte("x")) }), "Send after Close")
	e.wantClosed(e.call("empty Send after Close", func() error { return a.Send(bg, nil) }), "empty Send after Close")
	n, err := e.recvPrompt(bg, a, make([]byte, 8), "Receive after Close")
	e.wantClosed(err, "Receive after Close")
	if n != 0 {
		e.t.Errorf("Receive after Close returned %d bytes", n)
	}
	if !e.cfg.opts.NoHalfClose {
		e.wantClosed(e.call("CloseWrite after Close", a.CloseWrite), "CloseWrite after Close")
	}
}

// checkCloseIdempotent (18): Close after Close returns nil, also when two
// goroutines close at once, first or later.
func checkCloseIdempotent(e *byteEnv) {
	a, b := e.pair()
	for i := range 3 {
		if err := e.call("Close", a.Close); err != nil {
			e.t.Errorf("Close number %d: %v, want nil", i+1, err)
		}
	}
	e.concurrentCloses(a, "a closed end")
	e.wantNil(e.call("Close", b.Close), "Close of the peer")

	// Two goroutines making the first Close at once.
	a, b = e.pair()
	e.concurrentCloses(a, "an open end")
	e.concurrentCloses(b, "the peer of a closed end")
}

// concurrentCloses closes s from two goroutines at once; both must return
// nil promptly.
func (e *byteEnv) concurrentCloses(s stream.ByteStream, what string) {
	e.t.Helper()
	c1 := async(e.harness, s.Close)
	c2 := async(e.harness, s.Close)
	for _, c := range []<-chan error{c1, c2} {
		if err := await(e.harness, c, e.tm.prompt, "concurrent Close"); err != nil {
			e.t.Errorf("concurrent Close of %s: %v, want nil", what, err)
		}
	}
}

// checkCloseWakesReceive (19): Close wakes a blocked Receive with ErrClosed.
func checkCloseWakesReceive(e *byteEnv) {
	a, _ := e.pair()
	r := e.recvAsync(bg, a, make([]byte, 8))
	e.settle()
	e.wantNil(e.call("Close", a.Close), "Close with a Receive blocked")
	res := await(e.harness, r, e.tm.prompt, "a blocked Receive after Close")
	e.wantClosed(res.err, "blocked Receive woken by Close")
}

// checkCloseWakesSend (20): Close wakes a blocked Send with ErrClosed.
func checkCloseWakesSend(e *byteEnv) {
	a, _ := e.clogged()
	sent := e.blockedSend(bg, a, make([]byte, 256<<10))
	e.call("Close", a.Close) // its error is not the point; it must return
	e.wantClosed(await(e.harness, sent, e.tm.prompt, "a blocked Send after Close"), "blocked Send woken by Close")
}

// checkCloseWakesCloseWrite (21): Close wakes a blocked CloseWrite with
// ErrClosed. Streams whose CloseWrite never blocks pass trivially.
func checkCloseWakesCloseWrite(e *byteEnv) {
	e.needHalfClose()
	a, _ := e.clogged()
	cw := async(e.harness, a.CloseWrite)
	if !pending(e.harness, cw) {
		e.t.Logf("CloseWrite did not block on the clogged pair; nothing to wake")
		return
	}
	e.call("Close", a.Close)
	e.wantClosed(await(e.harness, cw, e.tm.prompt, "a blocked CloseWrite after Close"), "blocked CloseWrite woken by Close")
}

// breakSend closes b and sends on a until a Send fails, which must be with
// ErrBroken within a bounded time.
func (e *byteEnv) breakSend(a stream.ByteSender, b stream.ByteStream) {
	e.t.Helper()
	loop := e.sendLoop(a, 100)
	e.settle() // let the loop run, or block, before the peer goes
	e.wantNil(e.call("Close", b.Close), "peer Close")
	err := await(e.harness, loop, 3*e.tm.prompt, "a Send to a closed peer")
	if err == nil {
		e.t.Fatalf("Sends kept succeeding for %v after the peer closed; they must end with stream.ErrBroken", 2*e.tm.prompt)
	}
	if !errors.Is(err, stream.ErrBroken) || errors.Is(err, stream.ErrClosed) {
		e.t.Fatalf("Send after the peer closed returned %v, want stream.ErrBroken", errString(err))
	}
}

// checkCloseAfterBroken (22): once a Send reported ErrBroken, Close and the
// calls after it report ErrClosed: local close takes precedence.
func checkCloseAfterBroken(e *byteEnv) {
	a, b := e.pair()
	e.breakSend(a, b)
	e.call("Close", a.Close)
	e.wantClosed(e.call("Send after Close", func() error { return a.Send(bg, []byte("x")) }), "Send on a broken stream after Close")
	_, err := e.recvPrompt(bg, a, make([]byte, 8), "Receive after Close")
	e.wantClosed(err, "Receive on a broken stream after Close")
}

// closeBound is how long a Close may take when the peer does not read.
const closeBound = time.Second

// checkCloseBoundedWhenClogged (23): Close returns promptly even with data
// the peer is not reading, and the peer then sees a prefix of that data and
// io.EOF or ErrBroken, not a hang.
func checkCloseBoundedWhenClogged(e *byteEnv) {
	e.closeWithPendingData(e.pair, "an ordinary pair")
	if e.cfg.opts.Clogged != nil {
		e.closeWithPendingData(e.clogged, "the clogged pair")
	}
}

func (e *byteEnv) closeWithPendingData(mk func() (a, b stream.ByteStream), what string) {
	e.t.Helper()
	a, b := mk()
	data := pattern(23, 4<<20)
	sent := e.sendAsync(a, data)
	e.settle()
	start := time.Now()
	e.call("Close on "+what+" with unread data", a.Close)
	if d := time.Since(start); d > closeBound {
		e.t.Errorf("Close on %s with unread data took %v, more than %v: it must not wait for the peer", what, d.Round(time.Millisecond), closeBound)
	}
	err := await(e.harness, sent, e.tm.prompt, "a Send blocked by an unread peer, after Close")
	if err != nil {
		e.wantClosed(err, "Send woken by Close on "+what)
	}
	got, err := e.readToEnd(b, e.tm.prompt)
	if err != nil && !errors.Is(err, stream.ErrBroken) {
		e.t.Errorf("Receive after the peer closed with data pending on %s: %v, want io.EOF or stream.ErrBroken", what, err)
	}
	if i := firstDiff(got, data); i >= 0 {
		e.t.Errorf("after the peer closed with data pending on %s, received data differs from what was sent at byte %d", what, i)
	}
}
