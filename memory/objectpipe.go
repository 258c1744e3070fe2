package memory

import (
	"context"

	"github.com/anyio-go/anyio/stream"
)

var _ stream.ObjectStream[int] = (*ObjectPipeEnd[int])(nil)

// NewObjectPipe returns the two ends of a two-way object stream: what one end
// sends, the other receives. Each direction is an object stream made by
// NewObjectStream with the given buffer size (0 for rendezvous, Unbounded for
// no limit), with the semantics described there. Both ends implement
// stream.ObjectStream[T] and are safe for concurrent use by any number of
// goroutines.
func NewObjectPipe[T any](bufferSize int) (*ObjectPipeEnd[T], *ObjectPipeEnd[T]) {
	abSend, abRecv := NewObjectStream[T](bufferSize)
	baSend, baRecv := NewObjectStream[T](bufferSize)
	return &ObjectPipeEnd[T]{send: abSend, recv: baRecv},
		&ObjectPipeEnd[T]{send: baSend, recv: abRecv}
}

// ObjectPipeEnd is one end of a pipe made by NewObjectPipe.
type ObjectPipeEnd[T any] struct {
	send *SendStream[T]
	recv *ReceiveStream[T]
}

// Send delivers item to the peer, as SendStream.Send does. It returns
// stream.ErrClosed after CloseWrite or Close on this end, and
// stream.ErrBroken once the peer has closed.
func (e *ObjectPipeEnd[T]) Send(ctx context.Context, item T) error {
	return e.send.Send(ctx, item)
}

// TrySend delivers item like Send if it can do so at once, and otherwise
// returns stream.ErrWouldBlock.
func (e *ObjectPipeEnd[T]) TrySend(item T) error {
	return e.send.TrySend(item)
}

// Receive returns the next item from the peer, as ReceiveStream.Receive
// does. It returns io.EOF, unwrapped, once the peer has called CloseWrite or
// Close and every item was received, and stream.ErrClosed after Close on
// this end.
func (e *ObjectPipeEnd[T]) Receive(ctx context.Context) (T, error) {
	return e.recv.Receive(ctx)
}

// TryReceive returns the next item like Receive if one is available at
// once, and otherwise returns stream.ErrWouldBlock.
func (e *ObjectPipeEnd[T]) TryReceive() (T, error) {
	return e.recv.TryReceive()
}

// CloseWrite closes the sending direction of this end: the peer receives
// the items sent so far and then io.EOF, while this end can still receive.
// Sends blocked on this end return stream.ErrClosed. It is idempotent;
// after Close it returns stream.ErrClosed.
func (e *ObjectPipeEnd[T]) CloseWrite() error {
	if e.recv.isClosed() {
		return errCloseWriteClosed
	}
	return e.send.Close()
}

// Close closes both directions of this end: the peer drains what was sent
// and gets io.EOF, its Sends get stream.ErrBroken, and items not yet
// received here are dropped. Calls blocked on this end return
// stream.ErrClosed. It is idempotent and never blocks.
func (e *ObjectPipeEnd[T]) Close() error {
	e.send.Close()
	e.recv.Close()
	return nil
}
