package text

import (
	"context"
	"fmt"

	"github.com/anyio-go/anyio/stream"
)

var (
	errCloseWriteBusy   = fmt.Errorf("text: close write: %w", stream.ErrBusy)
	errCloseWriteClosed = fmt.Errorf("text: close write: %w", stream.ErrClosed)
)

// Stream is a two-way text stream over a stream.ByteStream: a Receiver and a
// Sender sharing one byte stream and one set of options. It is a
// stream.ObjectStream[string].
//
// Receive and Send may run concurrently with each other; a second concurrent
// Receive, or a Send concurrent with another Send or with CloseWrite,
// returns stream.ErrBusy.
type Stream struct {
	inner stream.ByteStream
	recv  Receiver
	send  Sender
}

// NewStream returns a Stream decoding what s receives and encoding what is
// sent on it, in UTF-8 unless WithEncoding says otherwise. The Stream owns
// s: closing it closes s.
func NewStream(s stream.ByteStream, opts ...Option) *Stream {
	c := newConfig(opts)
	st := &Stream{inner: s}
	st.recv.init(s, c)
	st.send.init(s, c)
	return st
}

// Receive returns the next piece of text, as Receiver.Receive does.
func (s *Stream) Receive(ctx context.Context) (string, error) {
	return s.recv.Receive(ctx)
}

// Send encodes and sends item, as Sender.Send does.
func (s *Stream) Send(ctx context.Context, item string) error {
	return s.send.Send(ctx, item)
}

// CloseWrite half-closes the byte stream: the peer receives io.EOF after the
// text sent so far, while this end can still receive. Later Sends return
// stream.ErrClosed. Every string is encoded completely when it is sent, so
// there is nothing left to flush (a stateful encoding's shift state is the
// peer decoder's too: ISO-2022-JP returns to ASCII at the end of each
// string, HZ stays where its last character left it). It is idempotent, returns
// stream.ErrBusy while a Send is in progress, and stream.ErrClosed after
// Close.
func (s *Stream) CloseWrite() error {
	if s.send.closed.Load() {
		return errCloseWriteClosed
	}
	if !s.send.guard.TryAcquire() {
		return errCloseWriteBusy
	}
	defer s.send.guard.Release()
	s.send.writeClosed = true
	if err := s.inner.CloseWrite(); err != nil {
		return fmt.Errorf("text: close write: %w", err)
	}
	return nil
}

// Close closes both directions and the byte stream, waking blocked Receive
// and Send calls, which return stream.ErrClosed. It is idempotent and
// returns the byte stream's Close error.
func (s *Stream) Close() error {
	s.recv.closed.Store(true)
	s.send.closed.Store(true)
	return s.inner.Close()
}

// Extra answers EncodingAttr with the encoding in use and forwards every
// other attribute to the byte stream.
func (s *Stream) Extra(key any) (any, bool) {
	return s.recv.Extra(key)
}

var _ stream.ObjectStream[string] = (*Stream)(nil)
