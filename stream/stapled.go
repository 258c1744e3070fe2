package stream

import (
	"context"
	"errors"
	"sync/atomic"
)

// StapledByteStream joins a sender and a receiver into one ByteStream, for
// instance two one-way pipes, or a stream whose two directions travel over
// different transports. Use it through a pointer:
//
//	s := &stream.StapledByteStream{Sender: out, Receiver: in}
//
// Send and Receive go to Sender and Receiver. A second concurrent Send (or a
// CloseWrite during a Send) returns ErrBusy, and so does a second concurrent
// Receive, whatever the halves would do. CloseWrite closes Sender only, so
// that the peer's Receive reaches end of stream while Receiver stays usable;
// Close closes both. Extra merges the attributes of both halves; when both
// answer, Receiver's answer wins.
type StapledByteStream struct {
	Sender   ByteSender
	Receiver ByteReceiver

	sending, receiving atomic.Bool // busy guards
	closed             atomic.Bool // set by Close
}

// Receive receives from Receiver.
func (s *StapledByteStream) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return s.Receiver.Receive(ctx, p)
	}
	if !s.receiving.CompareAndSwap(false, true) {
		return 0, errReceiveBusy
	}
	defer s.receiving.Store(false)
	return s.Receiver.Receive(ctx, p)
}

// Send sends all of p on Sender.
func (s *StapledByteStream) Send(ctx context.Context, p []byte) error {
	if !s.sending.CompareAndSwap(false, true) {
		return errSendBusy
	}
	defer s.sending.Store(false)
	return s.Sender.Send(ctx, p)
}

// CloseWrite closes Sender. It returns ErrBusy while a Send is in progress,
// and ErrClosed after Close.
func (s *StapledByteStream) CloseWrite() error {
	if s.closed.Load() {
		return errCloseWriteClosed
	}
	if !s.sending.CompareAndSwap(false, true) {
		return errCloseWriteBusy
	}
	defer s.sending.Store(false)
	return s.Sender.Close()
}

// Close closes both halves and returns their errors joined.
func (s *StapledByteStream) Close() error {
	s.closed.Store(true)
	return errors.Join(s.Sender.Close(), s.Receiver.Close())
}

// Extra answers from Receiver first, then from Sender.
func (s *StapledByteStream) Extra(key any) (any, bool) {
	return extraEither(s.Receiver, s.Sender, key)
}

// StapledObjectStream joins an object sender and an object receiver into one
// ObjectStream[T]. Send and Receive go to Sender and Receiver (concurrent
// calls are as safe as they are on the halves). CloseWrite closes Sender
// only; Close closes both. Extra merges the attributes of both halves; when
// both answer, Receiver's answer wins.
type StapledObjectStream[T any] struct {
	Sender   ObjectSender[T]
	Receiver ObjectReceiver[T]
}

// Receive receives the next item from Receiver.
func (s StapledObjectStream[T]) Receive(ctx context.Context) (T, error) {
	return s.Receiver.Receive(ctx)
}

// Send sends item on Sender.
func (s StapledObjectStream[T]) Send(ctx context.Context, item T) error {
	return s.Sender.Send(ctx, item)
}

// CloseWrite closes Sender.
func (s StapledObjectStream[T]) CloseWrite() error { return s.Sender.Close() }

// Close closes both halves and returns their errors joined.
func (s StapledObjectStream[T]) Close() error {
	return errors.Join(s.Sender.Close(), s.Receiver.Close())
}

// Extra answers from Receiver first, then from Sender.
func (s StapledObjectStream[T]) Extra(key any) (any, bool) {
	return extraEither(s.Receiver, s.Sender, key)
}

// extraEither asks first, then second.
func extraEither(first, second any, key any) (any, bool) {
	if v, ok := ForwardExtra(first, key); ok {
		return v, true
	}
	return ForwardExtra(second, key)
}
