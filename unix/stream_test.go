package unix_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
	"github.com/anyio-go/anyio/unix"
)

// unixPair makes connected pairs; a is the connecting end, b the accepted
// one. With clog, the kernel buffers are shrunk (see sockettest.Clog).
func unixPair(clog bool) streamtest.MakeByteStreams {
	return func(t testing.TB) (a, b stream.ByteStream, stop func()) {
		ctx := context.Background()
		path := sockPath(t)
		l, err := unix.Listen(ctx, path)
		require.NoError(t, err)
		defer l.Close()
		c, err := unix.Connect(ctx, path)
		require.NoError(t, err)
		s, err := l.Accept(ctx)
		if err != nil {
			c.Close()
			require.NoError(t, err)
		}
		if clog {
			sockettest.Clog(t, c, s)
		}
		return c, s, func() {}
	}
}

func TestConformanceUnix(t *testing.T) {
	streamtest.TestByteStream(t, unixPair(false), streamtest.ByteStreamOptions{Clogged: unixPair(true)})
}

func TestListenerConformance(t *testing.T) {
	streamtest.TestListener(t, func(t testing.TB) (stream.Listener[*unix.Stream], func(context.Context) (io.Closer, error), func()) {
		path := sockPath(t)
		l, err := unix.Listen(context.Background(), path)
		require.NoError(t, err)
		dial := func(ctx context.Context) (io.Closer, error) { return unix.Connect(ctx, path) }
		return l, dial, func() {}
	})
}

// TestStreamErrorsArePrefixed: errors say unix and the operation; io.EOF
// is returned as it is.
func TestStreamErrorsArePrefixed(t *testing.T) {
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	sockettest.RequireErrorsPrefixed(t, c, s, "unix")
}

// TestStreamSteadyStateAllocatesNothing: Receive and Send with a
// background ctx, and with one reused cancellable ctx, allocate nothing.
func TestStreamSteadyStateAllocatesNothing(t *testing.T) {
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	sockettest.RequireSteadyStateAllocatesNothing(t, c, s)
}
