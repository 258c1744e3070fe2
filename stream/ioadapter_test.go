package stream

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReaderWriter(t *testing.T) {
	ca, cb := net.Pipe()
	a, b := FromNetConn(ca), FromNetConn(cb)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	go func() {
		w := Writer(ctx, a)
		n, err := io.WriteString(w, "hello, ")
		assert.NoError(t, err)
		assert.Equal(t, 7, n)
		_, err = w.Write([]byte("world"))
		assert.NoError(t, err)
		assert.NoError(t, a.Close())
	}()
	data, err := io.ReadAll(Reader(ctx, b))
	require.NoError(t, err, "io.ReadAll sees a clean EOF")
	assert.Equal(t, "hello, world", string(data))

	n, err := Writer(ctx, a).Write([]byte("x"))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestReaderCtx(t *testing.T) {
	ca, cb := net.Pipe()
	a := FromNetConn(ca)
	defer a.Close()
	defer cb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Reader(ctx, a).Read(make([]byte, 1))
	assert.ErrorIs(t, err, context.Canceled)
}
