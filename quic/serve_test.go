package quic_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// TestServe runs stream.Serve on a Listener, each connection serving its
// streams with echo, for several clients at once.
func TestServe(t *testing.T) {
	p := newPKI(t)
	l := p.listen(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- stream.Serve(ctx, l, func(ctx context.Context, c *quic.Conn) {
			_ = c.ServeStreams(ctx, echo)
		})
	}()

	clients := make(chan error, 3)
	for i := range 3 {
		go func() {
			c, err := quic.Connect(testCtx(t), l.Addr().String(), p.clientTLS(), nil)
			if err != nil {
				clients <- err
				return
			}
			defer c.Close()
			for j := range 3 {
				if err := exchange(testCtx(t), c, 10*i+j); err != nil {
					clients <- err
					return
				}
			}
			clients <- nil
		}()
	}
	for range 3 {
		require.NoError(t, <-clients)
	}
	cancel()
	require.NoError(t, <-served)
}

// TestServeStreamsEnd: ServeStreams returns nil when ctx ends or the peer
// closes cleanly, and the connection's error otherwise.
func TestServeStreamsEnd(t *testing.T) {
	p := newPKI(t)
	serve := func(c *quic.Conn, ctx context.Context) chan error {
		done := make(chan error, 1)
		go func() { done <- c.ServeStreams(ctx, echo) }()
		return done
	}

	t.Run("ctx", func(t *testing.T) {
		_, server := p.pair(t, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := serve(server, ctx)
		letBlock()
		cancel()
		require.NoError(t, <-done)
	})
	t.Run("peer closed", func(t *testing.T) {
		client, server := p.pair(t, nil, nil)
		done := serve(server, context.Background())
		require.NoError(t, exchange(testCtx(t), client, 1))
		require.NoError(t, client.Close())
		require.NoError(t, <-done)
	})
	t.Run("peer failed", func(t *testing.T) {
		client, server := p.pair(t, nil, nil)
		done := serve(server, context.Background())
		require.NoError(t, client.CloseWithError(5, "failed"))
		err := <-done
		require.ErrorIs(t, err, stream.ErrBroken)
		var appErr *quic.ApplicationError
		require.ErrorAs(t, err, &appErr)
		require.EqualValues(t, 5, appErr.ErrorCode)
	})
	t.Run("closed here", func(t *testing.T) {
		_, server := p.pair(t, nil, nil)
		done := serve(server, context.Background())
		letBlock()
		require.NoError(t, server.Close())
		require.ErrorIs(t, <-done, stream.ErrClosed)
	})
	t.Run("idle timeout", func(t *testing.T) {
		_, server := p.pair(t, nil, &quic.Config{MaxIdleTimeout: 200 * time.Millisecond})
		err := <-serve(server, context.Background())
		var idle *quic.IdleTimeoutError
		require.ErrorAs(t, err, &idle, "returned, not retried")
		require.ErrorIs(t, err, stream.ErrBroken)
	})
}

// TestServeStreamsClosesStream: the handler gets the stream with the
// opener's first bytes, and the stream is closed (FIN) when it returns.
func TestServeStreamsClosesStream(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.ServeStreams(ctx, func(ctx context.Context, s *quic.Stream) {
			buf := make([]byte, 5)
			n, _ := s.Receive(ctx, buf)
			_ = s.Send(ctx, buf[:n])
		})
	}()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	s, err := client.OpenStream(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Send(testCtx(t), []byte("hello")))
	got, err := io.ReadAll(stream.Reader(testCtx(t), s))
	require.NoError(t, err, "the handler's return closed the stream with FIN")
	require.Equal(t, "hello", string(got))
}
