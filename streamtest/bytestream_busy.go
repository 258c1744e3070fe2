package streamtest

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// checkConcurrentReceiveBusy (12): of two concurrent Receives, one returns
// ErrBusy at once and the other keeps waiting and gets the data.
func checkConcurrentReceiveBusy(e *byteEnv) {
	a, b := e.pair()
	waiting, buf := e.busyReceive(b, "")
	sent := e.sendAsync(a, []byte("z"))
	r := await(e.harness, waiting, e.tm.prompt, "the waiting Receive after data was sent")
	if r.err != nil || r.n != 1 || buf[0] != 'z' {
		e.t.Errorf("the waiting Receive returned (%d, %v), want (1, nil) with \"z\"", r.n, r.err)
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
}

// busyReceive starts two Receives on b, one after the other, and checks that
// one of them (normally the second) returns ErrBusy promptly while the other
// keeps waiting. It returns the waiting one and its buffer.
func (e *byteEnv) busyReceive(b stream.ByteReceiver, after string) (<-chan recvResult, []byte) {
	e.t.Helper()
	p1, p2 := make([]byte, 16), make([]byte, 16)
	r1 := e.recvAsync(bg, b, p1)
	e.settle()
	r2 := e.recvAsync(bg, b, p2)

	var busy recvResult
	other, otherBuf := r2, p2
	select {
	case busy = <-r1: // the first had not blocked yet when the second came
	case busy = <-r2:
		other, otherBuf = r1, p1
	case <-time.After(e.tm.prompt):
		e.t.Fatalf("neither of two concurrent Receives%s returned within %v; the second must fail with stream.ErrBusy", after, e.tm.prompt)
	}
	if !errors.Is(busy.err, stream.ErrBusy) {
		e.t.Fatalf("of two concurrent Receives%s with no data, one returned (%d, %v), want stream.ErrBusy", after, busy.n, busy.err)
	}
	if !pending(e.harness, other) {
		e.t.Fatalf("a Receive%s returned without data once a concurrent Receive was refused; it must keep waiting", after)
	}
	return other, otherBuf
}

// blockedSend starts a.Send(ctx, p) on a clogged pair and fails the check
// unless it blocks.
func (e *byteEnv) blockedSend(ctx context.Context, a stream.ByteSender, p []byte) <-chan error {
	e.t.Helper()
	sent := e.sendCtxAsync(ctx, a, p)
	select {
	case err := <-sent:
		e.t.Fatalf("on the clogged pair a %d-byte Send returned (%v) while the peer was not receiving; the Clogged maker must make a pair whose Send blocks", len(p), err)
	case <-time.After(e.tm.settle):
	}
	return sent
}

// checkConcurrentSendBusy (13): a Send while another is blocked returns
// ErrBusy at once and does not disturb the first.
func checkConcurrentSendBusy(e *byteEnv) {
	a, b := e.clogged()
	first := pattern(13, 256<<10)
	sent := e.blockedSend(bg, a, first)
	err := e.call("second concurrent Send", func() error { return a.Send(bg, []byte("second")) })
	e.wantErr(err, "Send while another Send is blocked", stream.ErrBusy)
	e.expectData(b, first, "data of the blocked Send")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "the blocked Send"), "the blocked Send once the peer received")
}

// checkCloseWriteDuringSendBusy (14): CloseWrite while a Send is blocked
// returns ErrBusy: one lock covers the sending side.
func checkCloseWriteDuringSendBusy(e *byteEnv) {
	e.needHalfClose()
	a, b := e.clogged()
	first := pattern(14, 256<<10)
	sent := e.blockedSend(bg, a, first)
	err := e.call("CloseWrite", a.CloseWrite)
	e.wantErr(err, "CloseWrite while a Send is blocked", stream.ErrBusy)
	e.expectData(b, first, "data of the blocked Send")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "the blocked Send"), "the blocked Send once the peer received")
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite after the Send returned")
	e.expectEOF(b, "Receive after CloseWrite")
}

// checkSendReceiveIndependent (15): Send and Receive on one end run at the
// same time without ErrBusy.
func checkSendReceiveIndependent(e *byteEnv) {
	a, b := e.pair()
	buf := make([]byte, 16)
	r := e.recvAsync(bg, a, buf)
	e.settle()
	sent := e.sendAsync(a, []byte("ping"))
	e.expectData(b, []byte("ping"), "Send while a Receive is blocked on the same end")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send while a Receive is blocked on the same end")
	back := e.sendAsync(b, []byte("pong"))
	res := await(e.harness, r, e.tm.prompt, "the blocked Receive")
	if res.err != nil || res.n == 0 || !bytes.HasPrefix([]byte("pong"), buf[:res.n]) {
		e.t.Fatalf("the blocked Receive returned (%d, %v) with %q, want \"pong\" or a prefix", res.n, res.err, buf[:res.n])
	}
	e.expectData(a, []byte("pong")[res.n:], "rest of the reply")
	e.wantNil(await(e.harness, back, e.tm.prompt, "Send"), "reply Send")

	// The other way round: a Send in progress does not block a Receive.
	big := pattern(15, 256<<10)
	sent = e.sendAsync(a, big)
	e.settle()
	back = e.sendAsync(b, []byte("x"))
	e.expectData(a, []byte("x"), "Receive while a Send is in progress on the same end")
	e.wantNil(await(e.harness, back, e.tm.prompt, "Send"), "peer Send")
	e.expectData(b, big, "data of the Send in progress")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send in progress")
}

// checkBusyNotSticky (16): after a Receive returned, by data, cancellation or
// ErrBusy, the next Receive is not busy.
func checkBusyNotSticky(e *byteEnv) {
	a, b := e.pair()
	short := func(after string) {
		e.t.Helper()
		ctx, cancel := context.WithTimeout(bg, e.tm.settle)
		defer cancel()
		_, err := e.recvPrompt(ctx, b, make([]byte, 8), "Receive with a short deadline")
		e.wantErr(err, "Receive with no data after "+after, context.DeadlineExceeded)
	}

	sent := e.sendAsync(a, []byte("1"))
	e.expectData(b, []byte("1"), "Receive")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
	short("a Receive that returned data")
	short("a Receive that timed out")

	r1, r1buf := e.busyReceive(b, " after timed-out ones")
	sent = e.sendAsync(a, []byte("2"))
	r := await(e.harness, r1, e.tm.prompt, "the waiting Receive")
	if r.err != nil || r.n != 1 || r1buf[0] != '2' {
		e.t.Fatalf("the waiting Receive returned (%d, %v), want (1, nil) with \"2\"", r.n, r.err)
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
	short("a Receive that returned ErrBusy")

	sent = e.sendAsync(a, []byte("3"))
	e.expectData(b, []byte("3"), "Receive after timed-out and busy Receives")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
}
