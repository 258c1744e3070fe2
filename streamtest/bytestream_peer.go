package streamtest

import (
	"errors"
	"io"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// checkPeerCloseBreaksSend (24): Sends to a closed peer end with ErrBroken
// within a bounded time, and ErrBroken is sticky.
func checkPeerCloseBreaksSend(e *byteEnv) {
	a, b := e.pair()
	e.breakSend(a, b)
	for i := range stickyTries {
		err := e.call("Send after ErrBroken", func() error { return a.Send(bg, []byte("again")) })
		if !errors.Is(err, stream.ErrBroken) {
			e.t.Errorf("Send %d after a Send returned ErrBroken: got %v, want stream.ErrBroken again (it is sticky)", i+1, errString(err))
			return
		}
	}
}

// stickyTries is how many calls a check makes after a sticky error, each
// expected to return it again.
const stickyTries = 10

// checkReceiveAfterLocalClose (25): a Receive on a locally closed end
// reports ErrClosed, even after the peer's end of stream was seen.
func checkReceiveAfterLocalClose(e *byteEnv) {
	a, b := e.pair()
	e.wantNil(e.call("Close", a.Close), "peer Close")
	e.expectEOF(b, "Receive after the peer closed")
	e.wantNil(e.call("Close", b.Close), "Close after io.EOF")
	n, err := e.recvPrompt(bg, b, make([]byte, 8), "Receive after Close")
	e.wantClosed(err, "Receive on a closed end that had seen io.EOF")
	if n != 0 {
		e.t.Errorf("Receive after Close returned %d bytes", n)
	}
}

// finishedSoon waits a few settle delays for ch, so that a Send can complete
// before the peer reads when the stream buffers, and reports whether it did
// and with what error. On a synchronous stream it cannot, which is fine.
func (e *byteEnv) finishedSoon(ch <-chan error) (bool, error) {
	select {
	case err := <-ch:
		return true, err
	case <-time.After(5 * e.tm.settle):
		return false, nil
	}
}

// letFinish is finishedSoon for callers that collect the result later: it
// returns a channel that delivers ch's result, whether or not it came.
func (e *byteEnv) letFinish(ch <-chan error) <-chan error {
	if done, err := e.finishedSoon(ch); done {
		replay := make(chan error, 1)
		replay <- err
		return replay
	}
	return ch
}

// checkGracefulCloseKeepsData (26): data sent before Close is delivered,
// then io.EOF, which is sticky.
func checkGracefulCloseKeepsData(e *byteEnv) {
	a, b := e.pair()
	done := async(e.harness, func() error {
		if err := a.Send(bg, []byte("y")); err != nil {
			return err
		}
		return a.Close()
	})
	done = e.letFinish(done)
	e.expectData(b, []byte("y"), "data sent before Close")
	e.expectEOF(b, "Receive after the data of a closed peer")
	e.expectEOF(b, "Receive after io.EOF (end of stream is sticky)")
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send and Close"), "Send, then Close")
}

// checkAbortedPeer (27): when the peer is aborted (Options.Abort) or
// closed, Receive ends with io.EOF or ErrBroken, promptly, and never returns
// bytes that were not sent.
func checkAbortedPeer(e *byteEnv) {
	a, b := e.pair()
	data := pattern(27, 64)
	sent := e.sendAsync(a, data)
	e.letFinish(sent) // its outcome depends on the abort
	if e.cfg.opts.Abort != nil {
		e.call("Abort", func() error { e.cfg.opts.Abort(a); return nil })
	} else {
		e.call("Close", a.Close)
	}
	got, err := e.readToEnd(b, e.tm.prompt)
	if err != nil && !errors.Is(err, stream.ErrBroken) {
		e.t.Errorf("Receive from an aborted peer: %v, want io.EOF or stream.ErrBroken", err)
	}
	if i := firstDiff(got, data); i >= 0 {
		e.t.Errorf("received %s from an aborted peer, which is not a prefix of the data sent", abbrev(got))
	}
	_, err2 := e.recvPrompt(bg, b, make([]byte, 8), "Receive after the end")
	if err2 == nil || (err2 != io.EOF && !errors.Is(err2, stream.ErrBroken)) {
		e.t.Errorf("Receive after the stream from an aborted peer ended: %v, want io.EOF or stream.ErrBroken again", errString(err2))
	}
}

// checkPeerCloseWakesReceive (28): a blocked Receive wakes with io.EOF when
// the peer closes.
func checkPeerCloseWakesReceive(e *byteEnv) {
	a, b := e.pair()
	r := e.recvAsync(bg, b, make([]byte, 8))
	e.settle()
	e.wantNil(e.call("Close", a.Close), "peer Close")
	res := await(e.harness, r, e.tm.prompt, "a blocked Receive after the peer closed")
	if res.err != io.EOF {
		e.t.Errorf("blocked Receive when the peer closed returned (%d, %v), want (0, io.EOF)", res.n, res.err)
	}
}

// checkUnreadDataDiscarded (29): closing an end with unread data discards
// it: the end reports ErrClosed, not the data, and the sender gets
// ErrBroken.
func checkUnreadDataDiscarded(e *byteEnv) {
	a, b := e.pair()
	sent := e.sendAsync(a, pattern(29, 1024))
	if finished, err := e.finishedSoon(sent); finished {
		e.wantNil(err, "Send")
		e.breakSend(a, b)
	} else {
		// A synchronous stream holds the data in the Send itself.
		e.wantNil(e.call("Close", b.Close), "Close with a Send waiting")
		err := await(e.harness, sent, e.tm.prompt, "a Send blocked on an end that closed")
		if !errors.Is(err, stream.ErrBroken) {
			e.t.Errorf("Send to an end that closed returned %v, want stream.ErrBroken", errString(err))
		}
	}
	n, err := e.recvPrompt(bg, b, make([]byte, 8), "Receive on a closed end with unread data")
	e.wantClosed(err, "Receive on an end closed with unread data")
	if n != 0 {
		e.t.Errorf("Receive on an end closed with unread data returned %d bytes; the data must be discarded", n)
	}
}
