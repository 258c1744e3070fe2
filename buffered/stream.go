package buffered

import (
	"context"

	"github.com/anyio-go/anyio/stream"
)

// Stream is a two-way byte stream with a buffered receive side: a Receiver
// over the stream's receive direction plus Send and CloseWrite passed
// straight to the stream. It implements stream.ByteStream.
//
// The receive side follows Receiver's rules (one reader at a time, nothing
// lost on cancellation); the send side is the wrapped stream's own, so
// sending runs concurrently with receiving and a second concurrent Send is
// refused by the wrapped stream with stream.ErrBusy.
type Stream struct {
	Receiver
	s stream.ByteStream
}

var _ stream.ByteStream = (*Stream)(nil)

// NewStream returns a Stream over s. The Stream owns s from then on: reading
// s directly would bypass the buffer.
func NewStream(s stream.ByteStream) *Stream {
	return &Stream{Receiver: Receiver{src: s}, s: s}
}

// Send sends all of p on the wrapped stream, which reports the errors: after
// CloseWrite or Close it returns stream.ErrClosed.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	return s.s.Send(ctx, p)
}

// CloseWrite half-closes the wrapped stream: the peer sees end of stream
// once it has read everything sent before, while s can still receive, and
// later Sends return stream.ErrClosed.
func (s *Stream) CloseWrite() error {
	return s.s.CloseWrite()
}
