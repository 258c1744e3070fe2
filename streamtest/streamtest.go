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
package streamtest

import (
	"context"
	"io"
	"testing"

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
	// receives (a synchronous pipe, or a transport whose buffers are tiny).
	// The checks that need a blocked Send are skipped without it.
	Clogged MakeByteStreams

	// SendBreaksOnCancel says that a cancelled Send leaves the stream
	// inconsistent, so that every later Send returns stream.ErrBroken (TLS).
	SendBreaksOnCancel bool

	// NoHalfClose says that CloseWrite is not supported; the half-close
	// checks are skipped.
	NoHalfClose bool
}

// TestByteStream runs every check in the byte-stream conformance list on
// pairs made by mk, in both orientations (a, b) and (b, a).
func TestByteStream(t *testing.T, mk MakeByteStreams, opts ByteStreamOptions) {
	t.Helper()
	panic("streamtest: TestByteStream not implemented")
}

// MakeObjectStreams returns a fresh connected sender and receiver and a
// function that releases everything they hold. The suite closes both ends
// itself before calling stop.
type MakeObjectStreams[T any] func(t testing.TB) (s stream.ObjectSender[T], r stream.ObjectReceiver[T], stop func())

// ObjectStreamOptions describe how an object stream under test differs from
// the default (a cancel-safe reliable stream). The zero value is that default.
type ObjectStreamOptions struct {
	// SendBreaksOnCancel says that a cancelled Send may leave the stream
	// inconsistent, so that later Sends return stream.ErrBroken.
	SendBreaksOnCancel bool
}

// TestObjectStream checks a reliable object stream: order, end of stream
// after the sender closes, broken after the receiver closes, closed ends, and
// that cancellation never loses or duplicates an item. item(i) returns the
// i-th distinct test item; items are compared with reflect.DeepEqual.
func TestObjectStream[T any](t *testing.T, mk MakeObjectStreams[T], item func(i int) T, opts ObjectStreamOptions) {
	t.Helper()
	panic("streamtest: TestObjectStream not implemented")
}

// MakeListener returns a fresh listener, a function that makes one
// connection to it, and a function that releases everything. The suite
// closes the listener and every connection itself before calling stop.
type MakeListener[T io.Closer] func(t testing.TB) (l stream.Listener[T], dial func(ctx context.Context) (io.Closer, error), stop func())

// TestListener checks a listener: Accept returns dialled connections, a
// cancelled ctx ends a blocked Accept with the ctx error, and Close wakes a
// blocked Accept with stream.ErrClosed.
func TestListener[T io.Closer](t *testing.T, mk MakeListener[T]) {
	t.Helper()
	panic("streamtest: TestListener not implemented")
}
