// Package stream defines the vocabulary of the toolkit: byte streams, typed
// object streams, listeners and connectors, the errors they return, typed
// attributes, and the helpers that combine them (stapled streams,
// MultiListener, Serve) or adapt them to and from the io and net packages.
//
// Every transport in this module (memory, TCP, Unix, TLS, QUIC) implements
// these interfaces, and every wrapper (buffered, text, codec) consumes one and
// produces one, so they stack like middleware:
//
//	tcp.Stream → tls.Stream → buffered.Receiver → codec.Lines → handler
//
// # Rules every implementation keeps
//
//   - A cancelled or expired ctx makes a blocked call return promptly with an
//     error for which errors.Is(err, ctx.Err()) holds. An already-cancelled
//     ctx fails the call even when it could complete, and consumes nothing.
//   - Close is idempotent, safe to call concurrently with a blocked Receive or
//     Send (which then return ErrClosed), bounded in time, and releases
//     everything. After Close every call returns ErrClosed.
//   - A byte stream allows one receiver and one sender at a time: a second
//     concurrent Receive (or Send) returns ErrBusy instead of interleaving.
//     Receive and Send may run concurrently with each other.
//   - End of stream is io.EOF, returned unwrapped so that io.Copy and
//     io.ReadFull recognise it, and it is sticky.
//   - No item is lost: a cancelled object Receive never swallows an item; a
//     cancelled object Send either delivered the item (nil error) or did not.
package stream

import "context"

// ByteReceiver is the receiving half of a byte stream.
type ByteReceiver interface {
	// Receive reads at least 1 and at most len(p) bytes, returning as soon as
	// any are available. At end of stream it returns (0, ErrEndOfStream),
	// unwrapped. With len(p) == 0 it never blocks and returns (0, nil) or the
	// end's closed error. It never returns n > 0 together with an error.
	Receive(ctx context.Context, p []byte) (int, error)
	// Close closes the stream in both directions. It is idempotent.
	Close() error
}

// ByteSender is the sending half of a byte stream.
type ByteSender interface {
	// Send sends all of p or returns an error. It does not retain p.
	Send(ctx context.Context, p []byte) error
	// Close closes the stream in both directions. It is idempotent.
	Close() error
}

// ByteStream is a reliable, ordered, two-way byte stream.
type ByteStream interface {
	ByteReceiver
	ByteSender
	// CloseWrite half-closes the stream: the peer's Receive returns
	// ErrEndOfStream once it has read everything sent before, while this end
	// can still receive. Later Sends return ErrClosed. It is idempotent.
	CloseWrite() error
}

// ObjectReceiver is the receiving half of a typed object stream.
type ObjectReceiver[T any] interface {
	// Receive returns the next item. It returns ErrEndOfStream, unwrapped,
	// once the sending side has closed and every item was received.
	Receive(ctx context.Context) (T, error)
	// Close closes this end. It is idempotent.
	Close() error
}

// ObjectSender is the sending half of a typed object stream.
type ObjectSender[T any] interface {
	// Send delivers item. A nil error means the item was delivered (or, on a
	// buffered stream, queued); any error means it was not.
	Send(ctx context.Context, item T) error
	// Close closes this end. It is idempotent.
	Close() error
}

// ObjectStream is a two-way typed object stream.
type ObjectStream[T any] interface {
	ObjectReceiver[T]
	ObjectSender[T]
	// CloseWrite closes the sending side only: the peer's Receive returns
	// ErrEndOfStream once it has drained the stream.
	CloseWrite() error
}

// Listener accepts incoming connections of type T.
type Listener[T any] interface {
	// Accept waits for and returns the next connection. After Close it
	// returns ErrClosed.
	Accept(ctx context.Context) (T, error)
	// Close stops listening and wakes blocked Accept calls with ErrClosed.
	Close() error
}

// Connector makes outgoing connections of type T. It lets code that dials
// stay independent of the transport (and of the wrappers stacked on it).
type Connector[T any] interface {
	// Connect establishes a new connection.
	Connect(ctx context.Context) (T, error)
}

// ConnectorFunc adapts an ordinary function to the Connector interface.
type ConnectorFunc[T any] func(ctx context.Context) (T, error)

// Connect calls f(ctx).
func (f ConnectorFunc[T]) Connect(ctx context.Context) (T, error) { return f(ctx) }
