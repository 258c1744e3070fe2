package quic

import (
	"context"
	"errors"

	"github.com/anyio-go/anyio/stream"
)

// ServeStreams accepts the bidirectional streams the peer opens and runs h
// for each in its own goroutine, as stream.Serve does for connections (it is
// stream.Serve over the connection's streams, and takes its options): h gets
// a context derived from ctx, the stream is closed when h returns, a panic
// in h is recovered and logged, and ServeStreams returns only after every h
// has returned.
//
// It returns nil when ctx ends, and also when the peer closes the
// connection with code 0 (Close): the end of a conversation. When the
// connection ends otherwise it returns that error (stream.ErrClosed after
// this end closed it, stream.ErrBroken wrapping the cause otherwise); the
// running handlers are not cancelled then, but their stream calls fail.
// ServeStreams does not close the connection.
func (c *Conn) ServeStreams(ctx context.Context, h func(context.Context, *Stream), opts ...stream.ServeOption) error {
	err := stream.Serve(ctx, streamListener{c}, h, opts...)
	var end *connEnded
	if errors.As(err, &end) {
		if peerClosedCleanly(end.err) {
			return nil
		}
		return end.err
	}
	return err
}

// streamListener is a connection's AcceptStream as a stream.Listener.
type streamListener struct{ c *Conn }

// Accept accepts the next stream. Once the connection has ended its error is
// handed to Serve as a *connEnded: quic-go's idle timeout is a net.Error
// timeout, which Serve would otherwise take for a temporary accept error and
// retry forever.
func (l streamListener) Accept(ctx context.Context) (*Stream, error) {
	s, err := l.c.AcceptStream(ctx)
	if err != nil && ctx.Err() == nil && l.c.qc.Context().Err() != nil {
		return nil, &connEnded{err: err}
	}
	return s, err
}

// Close does nothing: the connection belongs to ServeStreams's caller.
func (streamListener) Close() error { return nil }

// connEnded carries the error of a connection that ended out of
// stream.Serve, hiding what it wraps from Serve's error tests.
type connEnded struct{ err error }

func (e *connEnded) Error() string { return e.err.Error() }
