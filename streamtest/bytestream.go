package streamtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// byteCheck is one property of the byte-stream contract, run as a subtest
// named after it.
type byteCheck struct {
	name string
	run  func(e *byteEnv)
}

// byteChecks lists every byte-stream check in the order TestByteStream runs
// them. The numbers in the comments of each check refer to the conformance
// list.
var byteChecks = []byteCheck{
	// Basic transfer.
	{"SendReceive", checkSendReceive},
	{"EmptySend", checkEmptySend},
	{"ZeroLengthReceive", checkZeroLengthReceive},
	{"PartialReceive", checkPartialReceive},
	{"SubSliceSend", checkSubSliceSend},
	{"RacyWrite", checkRacyWrite},
	{"RacyRead", checkRacyRead},
	{"BasicIO", checkBasicIO},
	{"PingPong", checkPingPong},
	{"BothWaysRandomChunks", checkBothWaysRandomChunks},
	{"LargeSend", checkLargeSend},

	// Busy resource.
	{"ConcurrentReceiveBusy", checkConcurrentReceiveBusy},
	{"ConcurrentSendBusy", checkConcurrentSendBusy},
	{"CloseWriteDuringSendBusy", checkCloseWriteDuringSendBusy},
	{"SendReceiveIndependent", checkSendReceiveIndependent},
	{"BusyNotSticky", checkBusyNotSticky},

	// Local close.
	{"UseAfterClose", checkUseAfterClose},
	{"CloseIdempotent", checkCloseIdempotent},
	{"CloseWakesReceive", checkCloseWakesReceive},
	{"CloseWakesSend", checkCloseWakesSend},
	{"CloseWakesCloseWrite", checkCloseWakesCloseWrite},
	{"CloseAfterBroken", checkCloseAfterBroken},
	{"CloseBoundedWhenClogged", checkCloseBoundedWhenClogged},

	// Peer close and broken.
	{"PeerCloseBreaksSend", checkPeerCloseBreaksSend},
	{"ReceiveAfterLocalClose", checkReceiveAfterLocalClose},
	{"GracefulCloseKeepsData", checkGracefulCloseKeepsData},
	{"AbortedPeer", checkAbortedPeer},
	{"PeerCloseWakesReceive", checkPeerCloseWakesReceive},
	{"UnreadDataDiscarded", checkUnreadDataDiscarded},

	// Half-close.
	{"CloseWriteSendsEOF", checkCloseWriteSendsEOF},
	{"SendAfterCloseWrite", checkSendAfterCloseWrite},
	{"CloseWriteIdempotent", checkCloseWriteIdempotent},
	{"ReverseAfterCloseWrite", checkReverseAfterCloseWrite},
	{"BothCloseWrite", checkBothCloseWrite},
	{"CloseWriteFlushes", checkCloseWriteFlushes},
	{"CloseWriteThenClose", checkCloseWriteThenClose},

	// Context cancellation and deadlines.
	{"AlreadyCancelled", checkAlreadyCancelled},
	{"PastDeadline", checkPastDeadline},
	{"NoEarlyTimeout", checkNoEarlyTimeout},
	{"CancelBlockedReceive", checkCancelBlockedReceive},
	{"CancelBlockedSend", checkCancelBlockedSend},
	{"CancelIndependence", checkCancelIndependence},
	{"CancelledReceiveLosesNothing", checkCancelledReceiveLosesNothing},
	{"TimedOutReceiveNotBusy", checkTimedOutReceiveNotBusy},

	// Robustness and concurrency.
	{"ConcurrentMethods", checkConcurrentMethods},
	{"CloseDuringBlockedCalls", checkCloseDuringBlockedCalls},
	{"LayerSendFailure", checkLayerSendFailure},
	{"LayerTruncation", checkLayerTruncation},
	{"PeerClosedBeforeFirstCall", checkPeerClosedBeforeFirstCall},
	{"NetConnCloseError", checkNetConnCloseError},
	{"Attributes", checkAttributes},
}

// byteConfig is what one orientation of TestByteStream runs with.
type byteConfig struct {
	mk   MakeByteStreams
	opts ByteStreamOptions
	swap bool // run as (b, a)
	tm   timing
}

// run runs c as the test tb under the watchdog.
func (cfg *byteConfig) run(tb testing.TB, c byteCheck) {
	tb.Helper()
	runCheck(tb, cfg.tm, func(h *harness) {
		c.run(&byteEnv{harness: h, cfg: cfg})
	})
}

// byteEnv is what a byte-stream check works with: its harness, the
// configuration, and helpers that make pairs and check every call's result
// against the contract.
type byteEnv struct {
	*harness
	cfg *byteConfig
}

// bg is the live context the checks use for calls that are not meant to be
// cancelled.
var bg = context.Background()

// pair returns a fresh connected pair in the configured orientation. The
// pair is closed and released when the check ends.
func (e *byteEnv) pair() (a, b stream.ByteStream) {
	e.t.Helper()
	return e.makePair(e.cfg.mk, "the maker")
}

// clogged returns a fresh clogged pair, a.Send blocking until b receives,
// and skips the check when the options give no Clogged maker.
func (e *byteEnv) clogged() (a, b stream.ByteStream) {
	e.t.Helper()
	if e.cfg.opts.Clogged == nil {
		e.t.Skip("needs ByteStreamOptions.Clogged: a pair whose Send blocks until the peer receives")
	}
	return e.makePair(e.cfg.opts.Clogged, "the Clogged maker")
}

// cloggedOrPair returns a clogged pair when the options give a maker for one,
// and an ordinary pair otherwise.
func (e *byteEnv) cloggedOrPair() (a, b stream.ByteStream) {
	e.t.Helper()
	if e.cfg.opts.Clogged != nil {
		return e.clogged()
	}
	return e.pair()
}

func (e *byteEnv) makePair(mk MakeByteStreams, what string) (a, b stream.ByteStream) {
	e.t.Helper()
	a, b, stop := mk(e.t)
	if a == nil || b == nil {
		e.t.Fatalf("%s returned a nil stream", what)
	}
	var once sync.Once
	e.onTeardown(func() {
		once.Do(func() {
			a.Close()
			b.Close()
			if stop != nil {
				stop()
			}
		})
	})
	if e.cfg.swap {
		a, b = b, a
	}
	return a, b
}

// needHalfClose skips the check when the stream does not support CloseWrite.
func (e *byteEnv) needHalfClose() {
	e.t.Helper()
	if e.cfg.opts.NoHalfClose {
		e.t.Skip("the stream does not support CloseWrite (NoHalfClose)")
	}
}

// closeEnd ends s's sending side with CloseWrite, or with Close when the
// stream does not support half-close; either way the peer sees EOF after
// the data.
func (e *byteEnv) closeEnd(s stream.ByteStream) error {
	if e.cfg.opts.NoHalfClose {
		return s.Close()
	}
	return s.CloseWrite()
}

// recv calls s.Receive and reports every way its result breaks the contract:
// n out of range, data together with an error, (0, nil) for a non-empty
// buffer, a wrapped io.EOF. It may be called from any goroutine.
func (e *byteEnv) recv(ctx context.Context, s stream.ByteReceiver, p []byte) (int, error) {
	e.t.Helper()
	n, err := s.Receive(ctx, p)
	switch {
	case n < 0 || n > len(p):
		e.t.Errorf("Receive returned n = %d for a buffer of %d bytes", n, len(p))
		n = max(0, min(n, len(p)))
	case n > 0 && err != nil:
		e.t.Errorf("Receive returned %d bytes together with the error %v; data and error must come from separate calls", n, err)
	case n == 0 && err == nil && len(p) > 0:
		e.t.Errorf("Receive returned (0, nil) for a %d-byte buffer; it must block until at least one byte or an error", len(p))
	}
	if err != nil && err != io.EOF && errors.Is(err, io.EOF) {
		e.t.Errorf("Receive returned a wrapped io.EOF (%v); end of stream must be io.EOF itself", err)
	}
	return n, err
}

// recvResult is the outcome of one Receive run on another goroutine.
type recvResult struct {
	n   int
	err error
}

// recvAsync runs e.recv on a harness goroutine.
func (e *byteEnv) recvAsync(ctx context.Context, s stream.ByteReceiver, p []byte) <-chan recvResult {
	return async(e.harness, func() recvResult {
		n, err := e.recv(ctx, s, p)
		return recvResult{n, err}
	})
}

// recvPrompt runs one Receive that must return within the prompt bound.
func (e *byteEnv) recvPrompt(ctx context.Context, s stream.ByteReceiver, p []byte, what string) (int, error) {
	e.t.Helper()
	r := await(e.harness, e.recvAsync(ctx, s, p), e.tm.prompt, what)
	return r.n, r.err
}

// sendAsync runs s.Send(bg, p) on a harness goroutine. p must not be
// touched until the result arrives.
func (e *byteEnv) sendAsync(s stream.ByteSender, p []byte) <-chan error {
	return e.sendCtxAsync(bg, s, p)
}

// sendCtxAsync runs s.Send(ctx, p) on a harness goroutine.
func (e *byteEnv) sendCtxAsync(ctx context.Context, s stream.ByteSender, p []byte) <-chan error {
	return async(e.harness, func() error { return s.Send(ctx, p) })
}

// call runs f on a harness goroutine and returns its error, failing the
// check when f does not return within the prompt bound.
func (e *byteEnv) call(what string, f func() error) error {
	e.t.Helper()
	return await(e.harness, async(e.harness, f), e.tm.prompt, what)
}

// expectData receives exactly len(want) bytes from s, each Receive within
// the prompt bound, and fails the check unless they equal want.
func (e *byteEnv) expectData(s stream.ByteReceiver, want []byte, what string) {
	e.t.Helper()
	got := make([]byte, len(want))
	for off := 0; off < len(want); {
		n, err := e.recvPrompt(bg, s, got[off:], what)
		if err != nil {
			e.t.Fatalf("%s: Receive failed after %d of %d bytes: %v", what, off, len(want), err)
		}
		off += n
	}
	if !bytes.Equal(got, want) {
		e.t.Fatalf("%s: received %s, want %s", what, abbrev(got), abbrev(want))
	}
}

// expectEOF fails the check unless the next Receive on s returns io.EOF
// itself, promptly.
func (e *byteEnv) expectEOF(s stream.ByteReceiver, what string) {
	e.t.Helper()
	n, err := e.recvPrompt(bg, s, make([]byte, 16), what)
	if err != io.EOF {
		e.t.Fatalf("%s: Receive returned (%d, %v), want (0, io.EOF)", what, n, err)
	}
}

// readFull fills p from s with live-context Receives. It returns io.EOF
// when the stream ended before the first byte and io.ErrUnexpectedEOF when
// it ended within p.
func (e *byteEnv) readFull(s stream.ByteReceiver, p []byte) error {
	for off := 0; off < len(p); {
		n, err := e.recv(bg, s, p[off:])
		off += n
		if err == io.EOF && off > 0 {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readToEnd receives from s until an error and returns the data and that
// error, nil for io.EOF. Each Receive must return within bound when bound
// is positive; otherwise only the watchdog bounds it.
func (e *byteEnv) readToEnd(s stream.ByteReceiver, bound time.Duration) ([]byte, error) {
	e.t.Helper()
	var data []byte
	buf := make([]byte, 32<<10)
	for {
		var n int
		var err error
		if bound > 0 {
			n, err = e.recvPrompt(bg, s, buf, "Receive while reading to the end")
		} else {
			n, err = e.recv(bg, s, buf)
		}
		data = append(data, buf[:n]...)
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// sendLoop sends chunk after chunk of size bytes on s from a harness
// goroutine until a Send fails, for at most twice the prompt bound (and a
// generous number of sends), and delivers that error. A nil error means the
// stream kept accepting data.
func (e *byteEnv) sendLoop(s stream.ByteSender, size int) <-chan error {
	deadline := time.Now().Add(2 * e.tm.prompt)
	return async(e.harness, func() error {
		chunk := bytes.Repeat([]byte{'s'}, size)
		for i := 0; i < 1<<20; i++ {
			if err := s.Send(bg, chunk); err != nil {
				return err
			}
			if i%64 == 0 && time.Now().After(deadline) {
				break
			}
		}
		return nil
	})
}

// wantErr reports a failure unless errors.Is(err, target) holds for one of
// targets.
func (e *byteEnv) wantErr(err error, what string, targets ...error) bool {
	e.t.Helper()
	for _, target := range targets {
		if err != nil && errors.Is(err, target) {
			return true
		}
	}
	e.t.Errorf("%s: got %v, want %s", what, errString(err), describe(targets))
	return false
}

// wantClosed reports a failure unless err is the local-close error: it
// matches stream.ErrClosed and is neither end of stream nor broken.
func (e *byteEnv) wantClosed(err error, what string) {
	e.t.Helper()
	switch {
	case !errors.Is(err, stream.ErrClosed):
		e.t.Errorf("%s: got %v, want stream.ErrClosed", what, errString(err))
	case !errors.Is(err, net.ErrClosed):
		e.t.Errorf("%s: got %v, which matches stream.ErrClosed but not net.ErrClosed, as stream.ErrClosed does", what, err)
	case errors.Is(err, io.EOF) || errors.Is(err, stream.ErrBroken):
		e.t.Errorf("%s: got %v, want stream.ErrClosed alone, neither io.EOF nor stream.ErrBroken", what, err)
	}
}

// wantNil reports a failure when err is not nil.
func (e *byteEnv) wantNil(err error, what string) {
	e.t.Helper()
	if err != nil {
		e.t.Errorf("%s: unexpected error %v", what, err)
	}
}

// describe names the sentinel errors the checks expect.
func describe(targets []error) string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = errName(t)
	}
	return "an error matching " + strings.Join(names, " or ")
}

func errName(err error) string {
	switch err {
	case stream.ErrClosed:
		return "stream.ErrClosed"
	case stream.ErrBroken:
		return "stream.ErrBroken"
	case stream.ErrBusy:
		return "stream.ErrBusy"
	case io.EOF:
		return "io.EOF"
	case context.Canceled:
		return "context.Canceled"
	case context.DeadlineExceeded:
		return "context.DeadlineExceeded"
	case net.ErrClosed:
		return "net.ErrClosed"
	case io.ErrClosedPipe:
		return "io.ErrClosedPipe"
	}
	return fmt.Sprintf("%q", err)
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q (%T)", err, err)
}

// pattern returns n bytes of seeded pseudo-random data.
func pattern(seed int64, n int) []byte {
	p := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(p)
	return p
}

// abbrev shows at most 32 bytes of p.
func abbrev(p []byte) string {
	if len(p) <= 32 {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("%d bytes starting %q", len(p), p[:32])
}

// firstDiff returns the index of the first byte where got and want differ,
// or -1 when got is a prefix of want.
func firstDiff(got, want []byte) int {
	if len(got) <= len(want) && bytes.Equal(got, want[:len(got)]) {
		return -1
	}
	for i := range got {
		if i >= len(want) || got[i] != want[i] {
			return i
		}
	}
	return -1
}
