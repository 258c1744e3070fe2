// Package streamtest is the conformance suite for the interfaces in package
// stream. Every byte stream, object stream and listener in this module runs
// through it, and users run it on their own implementations:
//
//	func TestMyStream(t *testing.T) {
//		streamtest.TestByteStream(t, makePair, streamtest.ByteStreamOptions{})
//	}
//
// The shape follows golang.org/x/net/nettest.TestConn: a maker returns a fresh
// connected pair and a stop function, each property is a named subtest, and a
// watchdog fails a subtest that hangs.
//
// TestByteStream implements the byte-stream conformance list: basic transfer
// (including nettest's BasicIO, PingPong, RacyRead and RacyWrite), the busy
// rule, local close, peer close and broken streams, half-close, context
// cancellation and deadlines, concurrency, layered streams over a
// fault-injecting transport, the net.Conn adapter, and attributes (an
// unknown one is not found; each end's local address is the other's remote
// one). TestObjectStream and
// TestListener check the object-stream and listener contracts.
//
// Each check runs on a goroutine of its own under a watchdog: a check that
// hangs fails, its streams are closed to release it, and the test goes on.
// Calls that must return "promptly" get two seconds, generous enough for a
// loaded machine running the race detector; a deadline must never fire
// early. A blocked call whose context is cancelled must return within 50 ms
// (the median of five tries), so that waiting on the context, not polling
// it, is what passes. Data is seeded pseudo-random, so failures repeat. Run the suites
// with -race: several checks (RacyRead, RacyWrite, ConcurrentMethods) look
// for data races, which only the race detector reports.
package streamtest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// MakeByteStreams returns a fresh connected pair of byte streams and a
// function that releases everything the pair holds. The suite closes both
// streams itself before calling stop; stop must not fail when they are
// already closed.
type MakeByteStreams func(t testing.TB) (a, b stream.ByteStream, stop func())

// ByteStreamOptions describe how a stream under test differs from the
// default: a cancel-safe stream with half-close support. The zero value is
// that default.
type ByteStreamOptions struct {
	// Clogged, when non-nil, makes a pair in which a.Send blocks until b
	// receives (a synchronous pipe, or a transport whose buffers are tiny):
	// a 256 KiB Send must not return while b is not receiving. The checks
	// that need a blocked Send are skipped without it.
	Clogged MakeByteStreams

	// SendBreaksOnCancel says that a cancelled Send leaves the stream
	// inconsistent, so that every later Send returns stream.ErrBroken (TLS).
	SendBreaksOnCancel bool

	// NoHalfClose says that CloseWrite is not supported; the half-close
	// checks are skipped, and the checks that end a direction use Close.
	NoHalfClose bool

	// Abort, when non-nil, closes s as forcefully as the stream allows (a
	// reset, memory.BytePipeEnd.CloseWithError). The AbortedPeer check
	// uses it instead of Close.
	Abort func(s stream.ByteStream)

	// Layer, when non-nil, says that the stream under test is a layer over
	// another byte stream (TLS, a framing protocol) and builds it: it wraps
	// the connected transport ends a and b, completing any handshake (on
	// both ends at once if it needs to), and returns the layered ends. The
	// suite passes transports it controls, over buffered memory pipes, to
	// inject a failed Send (LayerSendFailure) and to make the peer's
	// transport vanish without the layer's own close (LayerTruncation).
	// Those checks are skipped without it.
	Layer func(t testing.TB, a, b stream.ByteStream) (stream.ByteStream, stream.ByteStream)

	// LenientEOF says that the layer treats its transport's end of stream
	// as a normal end even when the peer's closing protocol did not run
	// (TLS without close_notify checking). By default a vanished transport
	// must be reported as stream.ErrBroken.
	LenientEOF bool

	// Timeout bounds each check; a check still running after it fails, and
	// its streams are closed to release it. Zero means 30 seconds.
	Timeout time.Duration
}

// TestByteStream runs every check in the byte-stream conformance list on
// pairs made by mk, in both orientations (a, b) and (b, a): subtests "AB"
// and "BA", each with one subtest per property ("BasicIO", "RacyRead",
// "ConcurrentReceiveBusy", ...) and "NetConn", which runs
// golang.org/x/net/nettest.TestConn over stream.NetConn adapters. Every
// check makes fresh pairs, closes them itself when it ends, and runs under
// a watchdog (Options.Timeout) that fails a check that hangs instead of
// hanging the test. Checks that need an optional maker or a feature the
// options say is missing are skipped. Run it under the race detector:
// several checks are only meaningful there.
func TestByteStream(t *testing.T, mk MakeByteStreams, opts ByteStreamOptions) {
	t.Helper()
	for _, o := range []struct {
		name string
		swap bool
	}{{"AB", false}, {"BA", true}} {
		t.Run(o.name, func(t *testing.T) {
			cfg := &byteConfig{mk: mk, opts: opts, swap: o.swap, tm: defaultTiming.withWatchdog(opts.Timeout)}
			for _, c := range byteChecks {
				t.Run(c.name, func(t *testing.T) { cfg.run(t, c) })
			}
			t.Run("NetConn", cfg.testNetConn)
		})
	}
}

// MakeObjectStreams returns a fresh connected sender and receiver and a
// function that releases everything they hold. The suite closes both ends
// itself before calling stop.
type MakeObjectStreams[T any] func(t testing.TB) (s stream.ObjectSender[T], r stream.ObjectReceiver[T], stop func())

// ObjectStreamOptions describe how an object stream under test differs from
// the default (a cancel-safe reliable stream). The zero value is that default.
type ObjectStreamOptions struct {
	// SendBreaksOnCancel says that a cancelled Send may leave the stream
	// inconsistent, so that later Sends return stream.ErrBroken. The checks
	// then find out that a Send blocks without cancelling it, cancel a
	// blocked Send only to see it return the ctx error and later Sends
	// return stream.ErrBroken (or succeed or block, when the stream did not
	// break), and cancel only Receives otherwise. A Send whose ctx is done
	// before it is called must still fail without sending anything and
	// without breaking the stream.
	SendBreaksOnCancel bool

	// Timeout bounds each check; a check still running after it fails, and
	// its streams are closed to release it. Zero means 30 seconds.
	Timeout time.Duration
}

// TestObjectStream checks a reliable object stream, one subtest per
// property: order is preserved; Receive returns io.EOF itself, again and
// again, once the sender closed and every item was received; Sends end with
// stream.ErrBroken within a bounded number of items once the receiver
// closed; closed ends return stream.ErrClosed and Close is idempotent; a
// done ctx fails Send and Receive without delivering or consuming an item;
// cancelling a blocked Receive or Send returns the ctx error promptly, and
// the cancelled Send delivered nothing (or, with SendBreaksOnCancel, later
// Sends return stream.ErrBroken); Receives and Sends cancelled at random
// never lose, duplicate or reorder an item (the items received are exactly
// those whose Send returned nil); Close wakes blocked calls; and, when the
// sender is a stream.ObjectStream, CloseWrite ends the stream for the
// receiver. Checks that need a Send to block are skipped when the stream
// accepts 10000 items without one.
//
// item(i) returns the i-th test item; items with different i must differ,
// and are compared with reflect.DeepEqual.
func TestObjectStream[T any](t *testing.T, mk MakeObjectStreams[T], item func(i int) T, opts ObjectStreamOptions) {
	t.Helper()
	tm := defaultTiming.withWatchdog(opts.Timeout)
	for _, c := range objectChecks[T]() {
		t.Run(c.name, func(t *testing.T) { runObjectCheck(t, tm, mk, item, opts, c) })
	}
}

// MakeListener returns a fresh listener, a function that makes one
// connection to it, and a function that releases everything. The suite
// closes the listener and every connection itself before calling stop.
type MakeListener[T io.Closer] func(t testing.TB) (l stream.Listener[T], dial func(ctx context.Context) (io.Closer, error), stop func())

// TestListener checks a listener, one subtest per property: concurrent
// Accepts return concurrently dialled connections; an Accept with a done ctx,
// or whose ctx is cancelled while it waits, returns the ctx error promptly
// and the listener keeps working; Close wakes a blocked Accept with
// stream.ErrClosed; Accept after Close returns stream.ErrClosed; and Close
// is idempotent, also when called concurrently.
func TestListener[T io.Closer](t *testing.T, mk MakeListener[T]) {
	t.Helper()
	for _, c := range listenerChecks[T]() {
		t.Run(c.name, func(t *testing.T) { runListenerCheck(t, defaultTiming, mk, c) })
	}
}
