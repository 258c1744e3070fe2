package streamtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"

	"github.com/anyio-go/anyio/stream"
)

// concurrentRounds is how many rounds of calls checkConcurrentMethods starts
// at once, as nettest's ConcurrentMethods does.
const concurrentRounds = 100

// checkConcurrentMethods (45): Receives with deadlines, Sends and CloseWrite
// called all at once on one end report nothing but success, ErrBusy or the
// ctx error, never tear a Send apart, and leave the stream working.
func checkConcurrentMethods(e *byteEnv) {
	chunk := markerFreeChunk(45)
	a, b := e.pair()
	drained := e.drainChunks(b, chunk, true)
	sends := e.concurrentRounds(a, chunk, false)
	e.wantNil(await(e.harness, e.sendAsync(a, []byte{0xff}), e.tm.prompt, "Send of the resync marker"), "Send of the resync marker")
	d := await(e.harness, drained, e.tm.prompt, "the reader waiting for the resync marker")
	e.wantNil(d.err, "reader")
	if d.total != sends*len(chunk) {
		e.t.Errorf("the peer received %d bytes, want %d: exactly the %d Sends that returned nil", d.total, sends*len(chunk), sends)
	}
	e.roundTrip(a, b)

	if e.cfg.opts.NoHalfClose {
		return
	}
	// On a second pair, CloseWrite joins the crowd.
	a, b = e.pair()
	drained = e.drainChunks(b, chunk, false)
	sends = e.concurrentRounds(a, chunk, true)
	e.wantNil(e.call("CloseWrite", a.CloseWrite), "CloseWrite after concurrent calls")
	d = await(e.harness, drained, e.tm.prompt, "the reader waiting for io.EOF")
	e.wantNil(d.err, "reader")
	if d.total != sends*len(chunk) {
		e.t.Errorf("with concurrent CloseWrite, the peer received %d bytes before io.EOF, want %d: exactly the %d Sends that returned nil", d.total, sends*len(chunk), sends)
	}
}

// markerFreeChunk returns 1 KiB of seeded data without the 0xff resync
// marker.
func markerFreeChunk(seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	chunk := make([]byte, 1024)
	for i := range chunk {
		chunk[i] = byte(rng.Intn(255))
	}
	return chunk
}

type drainResult struct {
	total int
	err   error
}

// drainChunks reads b until the 0xff marker (toMarker) or io.EOF, checking
// that the data is chunk repeated, and reports how much came before.
func (e *byteEnv) drainChunks(b stream.ByteReceiver, chunk []byte, toMarker bool) <-chan drainResult {
	return async(e.harness, func() drainResult {
		buf := make([]byte, 32<<10)
		total := 0
		for {
			n, err := e.recv(bg, b, buf)
			if err == io.EOF && !toMarker {
				return drainResult{total, nil}
			}
			if err != nil {
				return drainResult{total, err}
			}
			got := buf[:n]
			end := -1
			if toMarker {
				end = bytes.IndexByte(got, 0xff)
			}
			if end >= 0 {
				if end != n-1 {
					return drainResult{total, errors.New("data after the resync marker")}
				}
				got = got[:end]
			}
			for i, c := range got {
				if c != chunk[(total+i)%len(chunk)] {
					return drainResult{total, fmt.Errorf("data differs at offset %d: concurrent Sends interleaved or were torn", total+i)}
				}
			}
			total += len(got)
			if end >= 0 {
				return drainResult{total, nil}
			}
		}
	})
}

// concurrentRounds starts concurrentRounds rounds of calls on a at once, each
// a Send of chunk and two Receives with a 10 ms deadline (and a CloseWrite
// when withCloseWrite), checks that every call returned an allowed result,
// and returns how many Sends succeeded.
func (e *byteEnv) concurrentRounds(a stream.ByteStream, chunk []byte, withCloseWrite bool) int {
	e.t.Helper()
	type result struct {
		op  string
		err error
	}
	results := make(chan result, 4*concurrentRounds)
	calls := 0
	start := func(op string, f func() error) {
		calls++
		e.Go(func() { results <- result{op, f()} })
	}
	receive := func() error {
		ctx, cancel := context.WithTimeout(bg, e.tm.settle/2)
		defer cancel()
		_, err := e.recv(ctx, a, make([]byte, 1024))
		return err
	}
	for range concurrentRounds {
		start("Receive", receive)
		start("Send", func() error { return a.Send(bg, chunk) })
		if withCloseWrite {
			start("CloseWrite", a.CloseWrite)
		}
		start("Receive", receive)
	}

	sends, closeWrites, closedSends := 0, 0, 0
	for range calls {
		r := <-results
		switch {
		case r.err == nil:
			switch r.op {
			case "Send":
				sends++
			case "CloseWrite":
				closeWrites++
			case "Receive":
				e.t.Errorf("a Receive returned data the peer never sent")
			}
		case errors.Is(r.err, stream.ErrBusy), errors.Is(r.err, context.DeadlineExceeded):
		case r.op == "Send" && withCloseWrite && errors.Is(r.err, stream.ErrClosed):
			closedSends++
		default:
			e.t.Errorf("concurrent %s returned %v, want nil, stream.ErrBusy or context.DeadlineExceeded", r.op, r.err)
		}
	}
	if closedSends > 0 && closeWrites == 0 {
		e.t.Errorf("%d concurrent Sends returned stream.ErrClosed although no CloseWrite succeeded", closedSends)
	}
	return sends
}

// checkCloseDuringBlockedCalls (46): closing both ends at once while Sends,
// Receives and CloseWrites are blocked on one of them ends every call
// promptly with a closed, broken, busy or end-of-stream error.
func checkCloseDuringBlockedCalls(e *byteEnv) {
	a, b := e.cloggedOrPair()
	type result struct {
		op  string
		err error
	}
	var calls []<-chan result
	start := func(op string, f func() error) {
		calls = append(calls, async(e.harness, func() result { return result{op, f()} }))
	}
	for range 2 {
		big := make([]byte, 4<<20)
		start("Send", func() error { return a.Send(bg, big) })
		start("Receive", func() error {
			_, err := e.recv(bg, a, make([]byte, 1024))
			return err
		})
		if !e.cfg.opts.NoHalfClose {
			start("CloseWrite", a.CloseWrite)
		}
	}
	e.settle()
	ca := async(e.harness, a.Close)
	cb := async(e.harness, b.Close)
	await(e.harness, ca, e.tm.prompt, "Close with calls blocked")
	await(e.harness, cb, e.tm.prompt, "peer Close at the same time")

	for _, c := range calls {
		r := await(e.harness, c, e.tm.prompt, "a call blocked when both ends closed")
		allowed := []error{stream.ErrClosed, stream.ErrBroken, stream.ErrBusy}
		if r.op == "Receive" {
			allowed = append(allowed, io.EOF)
		} else if r.err == nil {
			continue // it completed before the close
		}
		e.wantErr(r.err, r.op+" blocked when both ends closed", allowed...)
	}
}

// checkPeerClosedBeforeFirstCall (49): data the peer sent and closed before
// the local end made any call arrives in full, then io.EOF.
func checkPeerClosedBeforeFirstCall(e *byteEnv) {
	a, b := e.pair()
	data := pattern(49, 1000)
	done := e.sendThen(b, data, b.Close)
	done = e.letFinish(done) // on a buffering stream the peer is gone now
	got, err := e.readToEnd(a, e.tm.prompt)
	e.wantNil(err, "Receive from a peer that sent and closed before the first call")
	if !bytes.Equal(got, data) {
		e.t.Errorf("received %s from a peer that sent and closed early, want the %d bytes sent", abbrev(got), len(data))
	}
	e.wantNil(await(e.harness, done, e.tm.prompt, "Send and Close"), "peer Send, then Close")
}
