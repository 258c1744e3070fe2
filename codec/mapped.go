package codec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/anyio-go/anyio/stream"
)

// Map returns an object stream of B over the object stream s of A: Send
// encodes each item with encode and sends the result on s; Receive receives
// from s and decodes with decode.
//
// An encode error is returned by Send, wrapping ErrEncode and the encoder's
// error, and nothing is sent. A decode error is returned by Receive, wrapping
// ErrDecode and the decoder's error; the item it came from was consumed
// whole, so the stream stays usable and the next Receive returns the next
// item. Errors from s are returned wrapped (io.EOF unwrapped). Map adds no
// locking: concurrency, cancellation and close behave as s does, encode and
// decode may be called concurrently with each other, and when s is safe for
// concurrent Sends (or Receives), encode (or decode) must be too. Close
// closes s, CloseWrite is passed to s (and later Sends return
// stream.ErrClosed without encoding), and Extra is forwarded to s.
func Map[A, B any](s stream.ObjectStream[A], encode func(B) (A, error), decode func(A) (B, error)) stream.ObjectStream[B] {
	return &mapped[A, B]{name: "map", inner: s, encode: encode, decode: decode}
}

// JSON returns an object stream of T over the object stream s of encoded
// items (typically LengthPrefixed or Lines mapped to bytes): each item is
// one JSON document, produced by json.Marshal and read by json.Unmarshal.
// A frame that is not a JSON document of T (or has anything but white space
// after it) is a decode error wrapping ErrDecode and the json error, and
// the stream stays usable. Everything else is as for Map.
func JSON[T any](s stream.ObjectStream[[]byte]) stream.ObjectStream[T] {
	return &mapped[[]byte, T]{name: "json", inner: s, encode: marshal[T], decode: unmarshal[T]}
}

func marshal[T any](v T) ([]byte, error) { return json.Marshal(v) }

func unmarshal[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// mapped is the stream Map and JSON return.
type mapped[A, B any] struct {
	name        string
	inner       stream.ObjectStream[A]
	encode      func(B) (A, error)
	decode      func(A) (B, error)
	closed      atomic.Bool
	writeClosed atomic.Bool
}

// Send encodes item and sends it; see Map.
func (m *mapped[A, B]) Send(ctx context.Context, item B) error {
	if m.closed.Load() || m.writeClosed.Load() {
		return m.fail(opSend, stream.ErrClosed)
	}
	a, err := m.encode(item)
	if err != nil {
		return fmt.Errorf("codec: %s: %s: %w: %w", m.name, opSend, ErrEncode, err)
	}
	if err := m.inner.Send(ctx, a); err != nil {
		return m.fail(opSend, err)
	}
	return nil
}

// Receive receives an item and decodes it; see Map.
func (m *mapped[A, B]) Receive(ctx context.Context) (B, error) {
	var zero B
	if m.closed.Load() {
		return zero, m.fail(opReceive, stream.ErrClosed)
	}
	a, err := m.inner.Receive(ctx)
	if err != nil {
		if err == io.EOF {
			return zero, io.EOF
		}
		return zero, m.fail(opReceive, err)
	}
	b, err := m.decode(a)
	if err != nil {
		return zero, fmt.Errorf("codec: %s: %s: %w: %w", m.name, opReceive, ErrDecode, err)
	}
	return b, nil
}

// CloseWrite passes the half-close to the wrapped stream; later Sends
// return stream.ErrClosed.
func (m *mapped[A, B]) CloseWrite() error {
	if m.closed.Load() {
		return m.fail(opCloseWrite, stream.ErrClosed)
	}
	err := m.inner.CloseWrite()
	if err != nil && errors.Is(err, stream.ErrBusy) {
		// A Send holds the wrapped stream: nothing was closed, and
		// Sends go on working until a CloseWrite succeeds.
		return m.fail(opCloseWrite, err)
	}
	m.writeClosed.Store(true)
	if err != nil {
		return m.fail(opCloseWrite, err)
	}
	return nil
}

// Close closes the wrapped stream; every later call returns
// stream.ErrClosed.
func (m *mapped[A, B]) Close() error {
	m.closed.Store(true)
	return m.inner.Close()
}

// Extra forwards attribute queries to the wrapped stream.
func (m *mapped[A, B]) Extra(key any) (any, bool) {
	return stream.ForwardExtra(m.inner, key)
}

func (m *mapped[A, B]) fail(op string, err error) error {
	return fmt.Errorf("codec: %s: %s: %w", m.name, op, err)
}
