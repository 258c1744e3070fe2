package sockettest

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// RoundTrip sends msg from a to b and checks that it arrives whole.
func RoundTrip(t testing.TB, a, b stream.ByteStream, msg string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte(msg)))
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(stream.Reader(ctx, b), buf)
	require.NoError(t, err)
	require.Equal(t, msg, string(buf))
}

// RequireErrorsPrefixed checks how c, connected to s, reports errors: the
// end of stream after s's CloseWrite is io.EOF itself, and a Send after
// Close wraps stream.ErrClosed with a message naming pkg and the operation.
// It closes c.
func RequireErrorsPrefixed(t testing.TB, c, s stream.ByteStream, pkg string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.CloseWrite())
	n, err := c.Receive(ctx, make([]byte, 8))
	require.Zero(t, n)
	require.Equal(t, io.EOF, err)
	require.NoError(t, c.Close())
	err = c.Send(ctx, []byte("x"))
	require.ErrorIs(t, err, stream.ErrClosed)
	require.Equal(t, pkg+": send: stream: use of closed stream", err.Error())
}

// RequireSteadyStateAllocatesNothing checks that Send on c and the Receives
// on s that take the bytes allocate nothing, with a background ctx and with
// one reused cancellable ctx.
func RequireSteadyStateAllocatesNothing(t testing.TB, c, s stream.ByteStream) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msg, buf := []byte("0123456789abcdef"), make([]byte, 16)
	for _, cx := range []context.Context{context.Background(), ctx} {
		allocs := testing.AllocsPerRun(200, func() {
			if err := c.Send(cx, msg); err != nil {
				t.Fatal(err)
			}
			for got := 0; got < len(msg); {
				n, err := s.Receive(cx, buf[got:])
				if err != nil {
					t.Fatal(err)
				}
				got += n
			}
		})
		require.Zero(t, allocs)
	}
}

// ClogBuffer is the socket buffer size Clog sets: small enough that the
// conformance suite's 256 KiB Sends block, large enough that data still
// flows fast once the peer reads.
const ClogBuffer = 16 << 10

// Clog shrinks the kernel buffers of each stream's socket (its
// stream.RawSocket) to ClogBuffer, so that a large Send blocks until the
// peer receives.
func Clog(t testing.TB, streams ...stream.ByteStream) {
	t.Helper()
	for _, s := range streams {
		raw, err := stream.Extra(s, stream.RawSocket)
		require.NoError(t, err)
		conn, ok := raw.(interface {
			SetReadBuffer(int) error
			SetWriteBuffer(int) error
		})
		require.True(t, ok, "%T has no socket buffers", raw)
		require.NoError(t, conn.SetWriteBuffer(ClogBuffer))
		require.NoError(t, conn.SetReadBuffer(ClogBuffer))
	}
}
