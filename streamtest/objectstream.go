package streamtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// objectCheck is one property of the object-stream contract.
type objectCheck[T any] struct {
	name string
	run  func(e *objectEnv[T])
}

// objectChecks lists the object-stream checks in the order they run.
func objectChecks[T any]() []objectCheck[T] {
	return []objectCheck[T]{
		{"Order", checkObjectOrder[T]},
		{"EndOfStream", checkObjectEndOfStream[T]},
		{"ReceiverClosedBreaksSend", checkObjectReceiverClosed[T]},
		{"UseAfterClose", checkObjectUseAfterClose[T]},
		{"CloseIdempotent", checkObjectCloseIdempotent[T]},
		{"AlreadyCancelled", checkObjectAlreadyCancelled[T]},
		{"CancelBlockedReceive", checkObjectCancelBlockedReceive[T]},
		{"CancelBlockedSend", checkObjectCancelBlockedSend[T]},
		{"CancelStress", checkObjectCancelStress[T]},
		{"CloseWakesBlockedCalls", checkObjectCloseWakes[T]},
		{"CloseWrite", checkObjectCloseWrite[T]},
	}
}

// objectEnv is what an object-stream check works with.
type objectEnv[T any] struct {
	*harness
	mk   MakeObjectStreams[T]
	item func(i int) T
	opts ObjectStreamOptions
}

// runObjectCheck runs c as the test tb under the watchdog.
func runObjectCheck[T any](tb testing.TB, tm timing, mk MakeObjectStreams[T], item func(int) T, opts ObjectStreamOptions, c objectCheck[T]) {
	tb.Helper()
	runCheck(tb, tm, func(h *harness) {
		c.run(&objectEnv[T]{harness: h, mk: mk, item: item, opts: opts})
	})
}

// pair returns a fresh sender and receiver, released when the check ends.
func (e *objectEnv[T]) pair() (stream.ObjectSender[T], stream.ObjectReceiver[T]) {
	e.t.Helper()
	s, r, stop := e.mk(e.t)
	if s == nil || r == nil {
		e.t.Fatalf("the maker returned a nil end")
	}
	var once sync.Once
	e.onTeardown(func() {
		once.Do(func() {
			s.Close()
			r.Close()
			if stop != nil {
				stop()
			}
		})
	})
	return s, r
}

type itemResult[T any] struct {
	item T
	err  error
}

// recv calls r.Receive and reports a wrapped io.EOF.
func (e *objectEnv[T]) recv(ctx context.Context, r stream.ObjectReceiver[T]) (T, error) {
	v, err := r.Receive(ctx)
	if err != nil && err != io.EOF && errors.Is(err, io.EOF) {
		e.t.Errorf("Receive returned a wrapped io.EOF (%v); end of stream must be io.EOF itself", err)
	}
	return v, err
}

// recvPrompt runs one Receive that must return within the prompt bound.
func (e *objectEnv[T]) recvPrompt(ctx context.Context, r stream.ObjectReceiver[T], what string) (T, error) {
	e.t.Helper()
	res := await(e.harness, async(e.harness, func() itemResult[T] {
		v, err := e.recv(ctx, r)
		return itemResult[T]{v, err}
	}), e.tm.prompt, what)
	return res.item, res.err
}

// expectItem receives one item promptly and fails the check unless it is
// item(i).
func (e *objectEnv[T]) expectItem(r stream.ObjectReceiver[T], i int, what string) {
	e.t.Helper()
	v, err := e.recvPrompt(bg, r, what)
	if err != nil {
		e.t.Fatalf("%s: Receive failed: %v, want item %d", what, err, i)
	}
	if !reflect.DeepEqual(v, e.item(i)) {
		e.t.Fatalf("%s: received %v, want item %d (%v)", what, v, i, e.item(i))
	}
}

// expectEOF receives promptly and fails the check unless it gets io.EOF
// itself.
func (e *objectEnv[T]) expectEOF(r stream.ObjectReceiver[T], what string) {
	e.t.Helper()
	v, err := e.recvPrompt(bg, r, what)
	if err != io.EOF {
		e.t.Fatalf("%s: Receive returned (%v, %v), want io.EOF", what, v, err)
	}
}

// sendItems sends items from..to-1 on s from a harness goroutine, then
// closes s when closeAfter is set.
func (e *objectEnv[T]) sendItems(s stream.ObjectSender[T], from, to int, closeAfter bool) <-chan error {
	return async(e.harness, func() error {
		for i := from; i < to; i++ {
			if err := s.Send(bg, e.item(i)); err != nil {
				return fmt.Errorf("Send of item %d: %w", i, err)
			}
		}
		if closeAfter {
			return s.Close()
		}
		return nil
	})
}

func (e *objectEnv[T]) call(what string, f func() error) error {
	e.t.Helper()
	return await(e.harness, async(e.harness, f), e.tm.prompt, what)
}

func (e *objectEnv[T]) wantErr(err error, what string, targets ...error) {
	e.t.Helper()
	for _, target := range targets {
		if err != nil && errors.Is(err, target) {
			return
		}
	}
	e.t.Errorf("%s: got %v, want %s", what, errString(err), describe(targets))
}

// pendingSend is a Send that had not returned after the settle delay,
// with nobody receiving: it is blocked.
type pendingSend struct {
	item   int                // the item it sends; every item before it was accepted
	done   <-chan error       // its result
	cancel context.CancelFunc // cancels its ctx
}

// blockedSend sends items from, from+1, ... on s, each with a ctx of its own
// and on a goroutine of its own, until one has not returned after the settle
// delay, and returns that Send, still blocked. Nothing is cancelled to find
// it, so a stream that breaks on a cancelled Send stays intact. ok is false
// when the Sends of every item up to limit-1 returned (an unbounded buffer).
// The blocked Send's ctx is cancelled when the check ends, if not before.
func (e *objectEnv[T]) blockedSend(s stream.ObjectSender[T], from, limit int) (p pendingSend, ok bool) {
	e.t.Helper()
	timer := time.NewTimer(e.tm.settle)
	defer timer.Stop()
	for i := from; i < limit; i++ {
		ctx, cancel := context.WithCancel(bg)
		sent := async(e.harness, func() error { return s.Send(ctx, e.item(i)) })
		timer.Reset(e.tm.settle)
		select {
		case err := <-sent:
			cancel()
			if err != nil {
				e.t.Fatalf("Send of item %d into a stream nobody reads: %v", i, err)
			}
		case <-timer.C:
			// A Send that is merely slow (a loaded machine, a transport
			// still flushing) returns within a further wait; only one
			// that stays pending counts as blocked.
			timer.Reset(2 * e.tm.settle)
			select {
			case err := <-sent:
				cancel()
				if err != nil {
					e.t.Fatalf("Send of item %d into a stream nobody reads: %v", i, err)
				}
				continue
			case <-timer.C:
			}
			e.onTeardown(cancel)
			return pendingSend{item: i, done: sent, cancel: cancel}, true
		}
	}
	return pendingSend{}, false
}

// cancelBlockedSend finds a blocked Send on s, cancels it, checks that it
// returns the ctx error promptly, and returns its item: the items before it
// were accepted, it was not. A Send that returns nil once cancelled was slow
// rather than blocked and delivered its item, as nil says; the search then
// goes on after it. The check is skipped when no Send blocks.
func (e *objectEnv[T]) cancelBlockedSend(s stream.ObjectSender[T], limit int) int {
	e.t.Helper()
	for from := 0; ; {
		p, ok := e.blockedSend(s, from, limit)
		if !ok {
			e.t.Skipf("Send never blocked (%d items accepted with nobody receiving)", limit)
		}
		p.cancel()
		err := await(e.harness, p.done, e.tm.prompt, "a blocked Send after its context was cancelled")
		if err == nil {
			from = p.item + 1
			continue
		}
		if !errors.Is(err, context.Canceled) {
			e.t.Fatalf("blocked Send of item %d cancelled: got %s, want an error matching context.Canceled", p.item, errString(err))
		}
		return p.item
	}
}

// expectBrokenSends checks s, one of whose blocked Sends was cancelled, on
// a stream that may break then (SendBreaksOnCancel): a later Send that fails
// must fail with stream.ErrBroken, and so must the next one. A later Send
// that succeeds or blocks shows that the stream did not break, which it is
// allowed; nothing more is asked of it then, and the check's teardown ends
// the blocked Send. next is the item to send.
func (e *objectEnv[T]) expectBrokenSends(s stream.ObjectSender[T], next int) {
	e.t.Helper()
	later := async(e.harness, func() error { return s.Send(bg, e.item(next)) })
	timer := time.NewTimer(e.tm.settle)
	defer timer.Stop()
	var err error
	select {
	case err = <-later:
	case <-timer.C:
		e.t.Logf("the stream did not break: a Send after the cancelled one blocks")
		return
	}
	if err == nil {
		e.t.Logf("the stream did not break: a Send after the cancelled one succeeded")
		return
	}
	if !errors.Is(err, stream.ErrBroken) {
		e.t.Fatalf("Send after a cancelled Send on a stream that breaks on cancel: got %s, want stream.ErrBroken", errString(err))
	}
	err = e.call("Send", func() error { return s.Send(bg, e.item(next+1)) })
	if !errors.Is(err, stream.ErrBroken) {
		e.t.Errorf("second Send after a cancelled Send: got %s, want stream.ErrBroken (it is sticky)", errString(err))
	}
}

// checkObjectOrder: items arrive in the order they were sent.
func checkObjectOrder[T any](e *objectEnv[T]) {
	const n = 200
	s, r := e.pair()
	sent := e.sendItems(s, 0, n, false)
	for i := range n {
		e.expectItem(r, i, "Receive in order")
	}
	if err := await(e.harness, sent, e.tm.prompt, "Sends"); err != nil {
		e.t.Errorf("sending side: %v", err)
	}
}

// checkObjectEndOfStream: after the sender closes and every item was
// received, Receive returns io.EOF itself, again and again; a blocked
// Receive wakes with it.
func checkObjectEndOfStream[T any](e *objectEnv[T]) {
	s, r := e.pair()
	sent := e.sendItems(s, 0, 3, true)
	for i := range 3 {
		e.expectItem(r, i, "Receive before end of stream")
	}
	e.expectEOF(r, "Receive after the sender closed")
	e.expectEOF(r, "Receive after io.EOF (end of stream is sticky)")
	if err := await(e.harness, sent, e.tm.prompt, "Sends and Close"); err != nil {
		e.t.Errorf("sending side: %v", err)
	}

	s, r = e.pair()
	blocked := async(e.harness, func() error { _, err := e.recv(bg, r); return err })
	e.settle()
	if err := e.call("Close", s.Close); err != nil {
		e.t.Errorf("sender Close: %v", err)
	}
	if err := await(e.harness, blocked, e.tm.prompt, "a blocked Receive after the sender closed"); err != io.EOF {
		e.t.Errorf("blocked Receive when the sender closed: got %v, want io.EOF", errString(err))
	}
}

// checkObjectReceiverClosed: once the receiver closes, Sends end with
// ErrBroken within a bounded number of items, and stay broken.
func checkObjectReceiverClosed[T any](e *objectEnv[T]) {
	const limit = 100_000
	s, r := e.pair()
	if err := e.call("Close", r.Close); err != nil {
		e.t.Errorf("receiver Close: %v", err)
	}
	type result struct {
		sent int
		err  error
	}
	res := await(e.harness, async(e.harness, func() result {
		for i := range limit {
			if err := s.Send(bg, e.item(i)); err != nil {
				return result{i, err}
			}
		}
		return result{limit, nil}
	}), 2*e.tm.prompt, "Sends after the receiver closed")
	if res.err == nil {
		e.t.Fatalf("%d Sends succeeded after the receiver closed; they must end with stream.ErrBroken", limit)
	}
	e.wantErr(res.err, fmt.Sprintf("Send after the receiver closed (after %d succeeded)", res.sent), stream.ErrBroken)
	for i := range stickyTries {
		err := e.call("Send", func() error { return s.Send(bg, e.item(i)) })
		if !errors.Is(err, stream.ErrBroken) {
			e.t.Errorf("Send %d after ErrBroken: got %s, want stream.ErrBroken (it is sticky)", i+1, errString(err))
			break
		}
	}

	// A Send already blocked when the receiver closes is woken with it.
	s, r = e.pair()
	p, ok := e.blockedSend(s, 0, 10_000)
	if !ok {
		e.t.Logf("Send never blocked; no blocked Send to break")
		return
	}
	if err := e.call("Close", r.Close); err != nil {
		e.t.Errorf("receiver Close with a Send blocked: %v", err)
	}
	err := await(e.harness, p.done, e.tm.prompt, "a blocked Send after the receiver closed")
	e.wantErr(err, "blocked Send when the receiver closed", stream.ErrBroken)
}

// checkObjectUseAfterClose: calls on a closed end return ErrClosed, even
// with items sent to it that it had not received.
func checkObjectUseAfterClose[T any](e *objectEnv[T]) {
	s, r := e.pair()
	if err := e.call("Close", s.Close); err != nil {
		e.t.Errorf("sender Close: %v", err)
	}
	e.wantErr(e.call("Send after Close", func() error { return s.Send(bg, e.item(0)) }), "Send after Close", stream.ErrClosed)
	if err := e.call("Close", r.Close); err != nil {
		e.t.Errorf("receiver Close: %v", err)
	}
	_, err := e.recvPrompt(bg, r, "Receive after Close")
	e.wantErr(err, "Receive after Close", stream.ErrClosed)

	s, r = e.pair()
	sent := e.sendItems(s, 0, 1, false)
	e.settle() // a buffering stream holds the item now; another may be offering it
	if err := e.call("Close", r.Close); err != nil {
		e.t.Errorf("receiver Close with an item unread: %v", err)
	}
	_, err = e.recvPrompt(bg, r, "Receive after Close with an item unread")
	e.wantErr(err, "Receive after Close with an item unread (a closed end hands out nothing)", stream.ErrClosed)
	await(e.harness, sent, e.tm.prompt, "a Send to a receiver that closed") // delivered or broken: either is fine
}

// checkObjectCloseIdempotent: Close after Close, and concurrent Closes,
// return nil.
func checkObjectCloseIdempotent[T any](e *objectEnv[T]) {
	s, r := e.pair()
	for _, end := range []struct {
		name  string
		close func() error
	}{{"sender", s.Close}, {"receiver", r.Close}} {
		c1 := async(e.harness, end.close)
		c2 := async(e.harness, end.close)
		for _, c := range []<-chan error{c1, c2} {
			if err := await(e.harness, c, e.tm.prompt, "concurrent Close"); err != nil {
				e.t.Errorf("concurrent Close of the %s: %v, want nil", end.name, err)
			}
		}
		if err := e.call("Close", end.close); err != nil {
			e.t.Errorf("third Close of the %s: %v, want nil", end.name, err)
		}
	}
}

// checkObjectAlreadyCancelled: a done ctx fails Send and Receive at once,
// without delivering or consuming an item.
func checkObjectAlreadyCancelled[T any](e *objectEnv[T]) {
	s, r := e.pair()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	err := e.call("Send with a cancelled context", func() error { return s.Send(ctx, e.item(0)) })
	e.wantErr(err, "Send with an already-cancelled context", context.Canceled)

	sent := e.sendItems(s, 1, 2, false)
	select { // on a buffered stream the item is now queued
	case err := <-sent:
		sent = replay(err)
	case <-time.After(5 * e.tm.settle):
	}
	_, err = e.recvPrompt(ctx, r, "Receive with a cancelled context")
	e.wantErr(err, "Receive with an already-cancelled context and an item available", context.Canceled)
	e.expectItem(r, 1, "Receive after a cancelled Send and Receive (nothing delivered, nothing consumed)")
	if err := await(e.harness, sent, e.tm.prompt, "Send"); err != nil {
		e.t.Errorf("Send: %v", err)
	}
}

func replay(err error) <-chan error {
	ch := make(chan error, 1)
	ch <- err
	return ch
}

// checkObjectCancelBlockedReceive: cancelling a blocked Receive returns the
// ctx error promptly and loses nothing sent afterwards.
func checkObjectCancelBlockedReceive[T any](e *objectEnv[T]) {
	s, r := e.pair()
	ctx, cancel := context.WithCancel(bg)
	blocked := async(e.harness, func() error { _, err := e.recv(ctx, r); return err })
	e.settle()
	cancel()
	err := await(e.harness, blocked, e.tm.prompt, "a blocked Receive after its context was cancelled")
	e.wantErr(err, "cancelled Receive", context.Canceled)
	sent := e.sendItems(s, 0, 1, false)
	e.expectItem(r, 0, "Receive after a cancelled Receive")
	if err := await(e.harness, sent, e.tm.prompt, "Send"); err != nil {
		e.t.Errorf("Send: %v", err)
	}
	cancelLatency(e.harness, "a blocked Receive", func(ctx context.Context) <-chan error {
		return async(e.harness, func() error { _, err := e.recv(ctx, r); return err })
	})
}

// checkObjectCancelBlockedSend: cancelling a blocked Send returns the ctx
// error promptly. On a cancel-safe stream the item was not delivered and
// the stream carries on. A stream that breaks on a cancelled Send
// (SendBreaksOnCancel) is only asked for stream.ErrBroken from later Sends.
func checkObjectCancelBlockedSend[T any](e *objectEnv[T]) {
	s, r := e.pair()
	cancelled := e.cancelBlockedSend(s, 10_000)
	if e.opts.SendBreaksOnCancel {
		e.expectBrokenSends(s, cancelled+1)
		return
	}
	next := cancelled + 1
	sent := e.sendItems(s, next, next+1, false)
	for i := range cancelled {
		e.expectItem(r, i, "Receive of the items accepted before the cancelled Send")
	}
	v, err := e.recvPrompt(bg, r, "Receive after the accepted items")
	switch {
	case err != nil:
		e.t.Fatalf("Receive of the item sent after the cancelled Send: %v, want item %d", err, next)
	case reflect.DeepEqual(v, e.item(cancelled)):
		e.t.Fatalf("after the %d accepted items, Receive returned item %d, whose Send was cancelled: a cancelled Send delivered its item", cancelled, cancelled)
	case !reflect.DeepEqual(v, e.item(next)):
		e.t.Fatalf("after the %d accepted items, Receive returned %v, want item %d (%v), sent after the cancelled Send", cancelled, v, next, e.item(next))
	}
	if err := await(e.harness, sent, e.tm.prompt, "Send"); err != nil {
		e.t.Errorf("Send after a cancelled Send: %v", err)
	}
}

// checkObjectCancelStress: with Sends and Receives cancelled at random, the
// items received are exactly the items whose Send returned nil, in order.
func checkObjectCancelStress[T any](e *objectEnv[T]) {
	const n = 2000
	s, r := e.pair()
	type sendResult struct {
		delivered []int
		err       error
	}
	sent := async(e.harness, func() sendResult {
		rng := rand.New(rand.NewSource(1))
		var delivered []int
		for i := range n {
			ctx, cancel := bg, context.CancelFunc(func() {})
			if !e.opts.SendBreaksOnCancel {
				ctx, cancel = context.WithTimeout(bg, time.Duration(rng.Intn(200))*time.Microsecond)
			}
			err := s.Send(ctx, e.item(i))
			cancel()
			switch {
			case err == nil:
				delivered = append(delivered, i)
			case !errors.Is(err, context.DeadlineExceeded):
				return sendResult{delivered, fmt.Errorf("Send of item %d: %w", i, err)}
			}
		}
		return sendResult{delivered, s.Close()}
	})

	rng := rand.New(rand.NewSource(2))
	var got []T
	for {
		ctx, cancel := context.WithTimeout(bg, time.Duration(rng.Intn(200))*time.Microsecond)
		v, err := e.recv(ctx, r)
		cancel()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			e.t.Fatalf("Receive with a short deadline after %d items: %v", len(got), err)
		}
		if err == nil {
			got = append(got, v)
		}
	}
	res := <-sent
	if res.err != nil {
		e.t.Fatalf("sending side: %v", res.err)
	}
	if len(got) != len(res.delivered) {
		e.t.Errorf("received %d items, but %d Sends returned nil: cancellation lost or duplicated items", len(got), len(res.delivered))
	}
	for j := range min(len(got), len(res.delivered)) {
		if want := e.item(res.delivered[j]); !reflect.DeepEqual(got[j], want) {
			e.t.Fatalf("item %d received is %v, want item %d (%v): cancellation lost, duplicated or reordered items", j, got[j], res.delivered[j], want)
		}
	}
	e.t.Logf("%d of %d Sends delivered", len(res.delivered), n)
}

// checkObjectCloseWakes: closing an end wakes the calls blocked on it with
// ErrClosed.
func checkObjectCloseWakes[T any](e *objectEnv[T]) {
	_, r := e.pair()
	blocked := async(e.harness, func() error { _, err := e.recv(bg, r); return err })
	e.settle()
	if err := e.call("Close", r.Close); err != nil {
		e.t.Errorf("receiver Close with a Receive blocked: %v", err)
	}
	err := await(e.harness, blocked, e.tm.prompt, "a blocked Receive after Close")
	e.wantErr(err, "blocked Receive woken by Close", stream.ErrClosed)

	s, _ := e.pair()
	p, ok := e.blockedSend(s, 0, 10_000)
	if !ok {
		e.t.Logf("Send never blocked; nothing to wake")
		return
	}
	if err := e.call("Close", s.Close); err != nil {
		e.t.Errorf("sender Close with a Send blocked: %v", err)
	}
	err = await(e.harness, p.done, e.tm.prompt, "a blocked Send after Close")
	e.wantErr(err, "blocked Send woken by Close", stream.ErrClosed)
}

// checkObjectCloseWrite: when the sender is a two-way ObjectStream,
// CloseWrite ends the stream for the receiver after the items sent, makes
// Send return ErrClosed, and is idempotent.
func checkObjectCloseWrite[T any](e *objectEnv[T]) {
	s, r := e.pair()
	cw, ok := s.(stream.ObjectStream[T])
	if !ok {
		e.t.Skip("the sender is not a stream.ObjectStream; it has no CloseWrite")
	}
	sent := async(e.harness, func() error {
		for i := range 3 {
			if err := cw.Send(bg, e.item(i)); err != nil {
				return err
			}
		}
		return cw.CloseWrite()
	})
	for i := range 3 {
		e.expectItem(r, i, "Receive before CloseWrite")
	}
	e.expectEOF(r, "Receive after the sender's CloseWrite")
	if err := await(e.harness, sent, e.tm.prompt, "Sends and CloseWrite"); err != nil {
		e.t.Errorf("Sends, then CloseWrite: %v", err)
	}
	if err := e.call("CloseWrite", cw.CloseWrite); err != nil {
		e.t.Errorf("second CloseWrite: %v, want nil", err)
	}
	e.wantErr(e.call("Send after CloseWrite", func() error { return cw.Send(bg, e.item(9)) }), "Send after CloseWrite", stream.ErrClosed)
	if back, ok := r.(stream.ObjectStream[T]); ok {
		// CloseWrite ends one direction only: the other still carries items.
		sentBack := async(e.harness, func() error { return back.Send(bg, e.item(7)) })
		e.expectItem(cw, 7, "Receive on the end that called CloseWrite")
		if err := await(e.harness, sentBack, e.tm.prompt, "Send towards the end that called CloseWrite"); err != nil {
			e.t.Errorf("Send towards the end that called CloseWrite: %v", err)
		}
	}
	if err := e.call("Close", cw.Close); err != nil {
		e.t.Errorf("Close after CloseWrite: %v", err)
	}
	e.wantErr(e.call("CloseWrite after Close", cw.CloseWrite), "CloseWrite after Close", stream.ErrClosed)
}
