package streamtest

import (
	"errors"

	"github.com/anyio-go/anyio/stream"
)

// sendThen runs s.Send(data) followed by each of then on a harness goroutine
// and returns the first error.
func (e *byteEnv) sendThen(s stream.ByteSender, data []byte, then ...func() error) <-chan error {
	return async(e.harness, func() error {
		if err := s.Send(bg, data); err != nil {
			return err
		}
		for _, f := range then {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkCloseWriteSendsEOF (30): after Send and CloseWrite the peer gets the
// data, then io.EOF.
func checkCloseWriteSendsEOF(e *byteEnv) {
	e.needHalfClose()
	a, b := e.pair()
	done := e.sendThen(a, []byte("x"), a.CloseWrite)
	e.expectData(b, []byte("x"), "data sent before CloseWrite")
	e.expectEOF(b, "Receive after the peer's CloseWrite")
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send and CloseWrite"), "Send, then CloseWrite")
}

// checkSendAfterCloseWrite (31): Send after CloseWrite returns ErrClosed,
// even an empty one.
func checkSendAfterCloseWrite(e *byteEnv) {
	e.needHalfClose()
	a, _ := e.pair()
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite")
	e.wantClosed(e.call("Send after CloseWrite", func() error { return a.Send(bg, []byte("y")) }), "Send after CloseWrite")
	e.wantClosed(e.call("empty Send after CloseWrite", func() error { return a.Send(bg, nil) }), "empty Send after CloseWrite")
}

// checkCloseWriteIdempotent (32): a second CloseWrite returns nil, and the
// peer sees one end of stream.
func checkCloseWriteIdempotent(e *byteEnv) {
	e.needHalfClose()
	a, b := e.pair()
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite")
	e.wantNil(e.call("second CloseWrite", a.CloseWrite), "second CloseWrite")
	e.expectEOF(b, "Receive after the peer's CloseWrite")
}

// checkReverseAfterCloseWrite (33): after one end sent EOF the other way
// still works, up to its own EOF.
func checkReverseAfterCloseWrite(e *byteEnv) {
	e.needHalfClose()
	a, b := e.pair()
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite")
	e.expectEOF(b, "Receive after the peer's CloseWrite")
	done := e.sendThen(b, []byte("x"), b.CloseWrite)
	e.expectData(a, []byte("x"), "data sent back to an end that sent EOF")
	e.expectEOF(a, "Receive after both ends sent EOF")
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send and CloseWrite"), "Send, then CloseWrite, to an end that sent EOF")
}

// checkBothCloseWrite (34): with EOF sent and seen both ways, Send reports
// ErrClosed, Receive keeps reporting io.EOF, and both Closes return nil.
func checkBothCloseWrite(e *byteEnv) {
	e.needHalfClose()
	a, b := e.pair()
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite on A")
	e.wantNil(e.call("CloseWrite", b.CloseWrite), "CloseWrite on B")
	for _, s := range []struct {
		name string
		s    stream.ByteStream
	}{{"A", a}, {"B", b}} {
		e.expectEOF(s.s, "Receive on "+s.name+" after both ends sent EOF")
		e.wantClosed(e.call("Send", func() error { return s.s.Send(bg, []byte("z")) }), "Send on "+s.name+" after its CloseWrite")
		e.expectEOF(s.s, "second Receive on "+s.name+" after both ends sent EOF")
	}
	e.wantNil(e.call("Close", a.Close), "Close of A after both ends sent EOF")
	e.wantNil(e.call("Close", b.Close), "Close of B after both ends sent EOF")
}

// checkCloseWriteFlushes (35): CloseWrite with data still on its way
// delivers all of it before io.EOF.
func checkCloseWriteFlushes(e *byteEnv) {
	e.needHalfClose()
	e.closeWriteFlushes(e.pair, "an ordinary pair")
	if e.cfg.opts.Clogged != nil {
		e.closeWriteFlushes(e.clogged, "the clogged pair")
	}
}

func (e *byteEnv) closeWriteFlushes(mk func() (a, b stream.ByteStream), what string) {
	e.t.Helper()
	a, b := mk()
	data := pattern(35, 64<<10)
	done := e.sendThen(a, data, a.CloseWrite)
	done = e.letFinish(done) // on a buffering stream the data is now queued
	got, err := e.readToEnd(b, e.tm.prompt)
	e.wantNil(err, "Receive up to the end after CloseWrite on "+what)
	if i := firstDiff(got, data); i >= 0 || len(got) != len(data) {
		e.t.Errorf("on %s, received %d bytes before io.EOF (first difference at %d), want the %d bytes sent before CloseWrite", what, len(got), i, len(data))
	}
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send and CloseWrite"), "Send, then CloseWrite on "+what)
}

// checkCloseWriteThenClose (36): CloseWrite followed by Close looks to the
// peer like a graceful end: data, then io.EOF, not ErrBroken.
func checkCloseWriteThenClose(e *byteEnv) {
	e.needHalfClose()
	a, b := e.pair()
	done := e.sendThen(a, []byte("z"), a.CloseWrite, a.Close)
	done = e.letFinish(done)
	got, err := e.readToEnd(b, e.tm.prompt)
	if err != nil {
		what := "an error"
		if errors.Is(err, stream.ErrBroken) {
			what = "stream.ErrBroken"
		}
		e.t.Errorf("Receive from a peer that called CloseWrite, then Close returned %s (%v), want io.EOF", what, err)
	}
	if string(got) != "z" {
		e.t.Errorf("received %s, want \"z\"", abbrev(got))
	}
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send, CloseWrite and Close"), "Send, CloseWrite, then Close")
}
