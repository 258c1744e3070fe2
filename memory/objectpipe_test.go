package memory

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

func TestObjectPipeCarriesBothWays(t *testing.T) {
	a, b := NewObjectPipe[string](1)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, "ping"))
	require.NoError(t, b.TrySend("pong"))
	got, err := b.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ping", got)
	got, err = a.TryReceive()
	require.NoError(t, err)
	assert.Equal(t, "pong", got)
	_, err = a.TryReceive()
	require.ErrorIs(t, err, stream.ErrWouldBlock)
	require.NoError(t, b.TrySend("1"))
	require.ErrorIs(t, b.TrySend("2"), stream.ErrWouldBlock)
}

func TestObjectPipeCloseWrite(t *testing.T) {
	a, b := NewObjectPipe[int](4)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, 1))
	require.NoError(t, a.CloseWrite())
	require.NoError(t, a.CloseWrite())
	require.ErrorIs(t, a.Send(ctx, 2), stream.ErrClosed)

	got, err := b.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	_, err = b.Receive(ctx)
	require.Equal(t, io.EOF, err)

	require.NoError(t, b.Send(ctx, 3), "the other direction stays open")
	got, err = a.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, got)
}

func TestObjectPipeClose(t *testing.T) {
	a, b := NewObjectPipe[int](0)
	ctx := context.Background()
	recv := receiveAsync(ctx, a.recv)
	waitingReceivers(t, a.recv, 1)
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())
	require.ErrorIs(t, (<-recv).err, stream.ErrClosed)
	require.ErrorIs(t, a.Send(ctx, 1), stream.ErrClosed)
	require.ErrorIs(t, a.CloseWrite(), stream.ErrClosed, "after Close every call is ErrClosed")

	_, err := b.Receive(ctx)
	require.Equal(t, io.EOF, err)
	require.ErrorIs(t, b.Send(ctx, 1), stream.ErrBroken)
	require.NoError(t, b.Close())
}
