package quic_test

import (
	"context"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// datagramsOn is a config with datagrams enabled.
var datagramsOn = &quic.Config{EnableDatagrams: true}

// datagramPair connects two ends with datagrams enabled and returns their
// Datagrams.
func datagramPair(t *testing.T) (client, server *quic.Conn, a, b *quic.Datagrams) {
	t.Helper()
	client, server = newPKI(t).pair(t, datagramsOn, datagramsOn)
	a, err := client.Datagrams()
	require.NoError(t, err)
	b, err = server.Datagrams()
	require.NoError(t, err)
	return client, server, a, b
}

func TestDatagramRoundTrips(t *testing.T) {
	_, _, a, b := datagramPair(t)
	ctx := testCtx(t)
	for _, msg := range []string{"ping", "", "x"} {
		require.NoError(t, a.Send(ctx, []byte(msg)))
		got, err := b.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, msg, string(got))
		require.NoError(t, b.Send(ctx, append(got, '!')))
		got, err = a.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, msg+"!", string(got))
	}

	// Send keeps no reference to its argument.
	buf := []byte("original")
	require.NoError(t, a.Send(ctx, buf))
	copy(buf, "mutated!")
	got, err := b.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "original", string(got))
}

func TestDatagramsNeedBothEnds(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, datagramsOn, nil)
	_, err := client.Datagrams()
	require.ErrorIs(t, err, quic.ErrDatagramsUnsupported)
	require.Contains(t, err.Error(), "peer")
	_, err = server.Datagrams()
	require.ErrorIs(t, err, quic.ErrDatagramsUnsupported)
	require.Contains(t, err.Error(), "EnableDatagrams")

	client, server = p.pair(t, datagramsOn, datagramsOn)
	d1, err := client.Datagrams()
	require.NoError(t, err)
	d2, err := client.Datagrams()
	require.NoError(t, err)
	require.Same(t, d1, d2)
	_ = server
}

func TestDatagramTooLarge(t *testing.T) {
	_, _, a, b := datagramPair(t)
	ctx := testCtx(t)
	err := a.Send(ctx, make([]byte, 64<<10))
	var tooLarge *quicgo.DatagramTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	require.NotErrorIs(t, err, stream.ErrBroken)
	require.NoError(t, a.Send(ctx, make([]byte, tooLarge.MaxDatagramPayloadSize)), "the largest size fits")
	got, err := b.Receive(ctx)
	require.NoError(t, err)
	require.Len(t, got, int(tooLarge.MaxDatagramPayloadSize))
}

// TestDatagramReceiveCancel: a cancelled or expired Receive returns the ctx
// error promptly, takes nothing, and the next Receive works.
func TestDatagramReceiveCancel(t *testing.T) {
	_, _, a, b := datagramPair(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Receive(done)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, a.Send(done, []byte("x")), context.Canceled)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err = b.Receive(ctx)
	require.ErrorIs(t, err, context.Canceled)
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		_, err = b.Receive(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}

	live := testCtx(t)
	require.NoError(t, a.Send(live, []byte("after")))
	got, err := b.Receive(live)
	require.NoError(t, err)
	require.Equal(t, "after", string(got))
}

func TestDatagramClose(t *testing.T) {
	client, server, a, b := datagramPair(t)
	ctx := testCtx(t)
	blocked := make(chan error, 1)
	go func() {
		_, err := b.Receive(ctx)
		blocked <- err
	}()
	letBlock()
	require.NoError(t, b.Close())
	require.NoError(t, b.Close())
	require.ErrorIs(t, <-blocked, stream.ErrClosed)
	_, err := b.Receive(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)
	require.ErrorIs(t, b.Send(ctx, []byte("x")), stream.ErrClosed)

	// The connection is still open.
	require.NoError(t, a.Send(ctx, []byte("x")))
	streamPair(t, client, server)
}

// TestDatagramPeerClose: the peer's Close ends the datagrams cleanly; a
// close with an error code breaks them.
func TestDatagramPeerClose(t *testing.T) {
	client, _, _, b := datagramPair(t)
	require.NoError(t, client.Close())
	_, err := b.Receive(testCtx(t))
	require.Equal(t, io.EOF, err)

	client, _, a, b := datagramPair(t)
	require.NoError(t, client.CloseWithError(3, "failed"))
	_, err = b.Receive(testCtx(t))
	require.ErrorIs(t, err, stream.ErrBroken)
	var appErr *quic.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.EqualValues(t, 3, appErr.ErrorCode)
	require.ErrorIs(t, b.Send(testCtx(t), []byte("x")), stream.ErrBroken)
	_, err = a.Receive(testCtx(t))
	require.ErrorIs(t, err, stream.ErrClosed, "closed here")
	require.ErrorIs(t, a.Send(testCtx(t), []byte("x")), stream.ErrClosed)
}
