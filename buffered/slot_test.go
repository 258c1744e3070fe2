package buffered

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

func TestSlotReadsAsOneOperation(t *testing.T) {
	r := NewReceiver(script("\x03abc", "\x02de", "rest\nx"))
	for _, want := range []string{"abc", "de"} {
		slot, err := r.Acquire(bg)
		require.NoError(t, err)
		h, err := slot.ReceiveExactlyView(bg, 1)
		require.NoError(t, err)
		p, err := slot.ReceiveExactly(bg, int(h[0]))
		require.NoError(t, err)
		assert.Equal(t, want, string(p))
		slot.Release()
	}
	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	line, err := slot.ReceiveUntil(bg, []byte("\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, "rest", string(line))
	assert.Equal(t, 1, slot.BufferedLen())
	assert.Equal(t, "x", string(slot.Buffered()))
	_, err = slot.ReceiveUntilView(bg, []byte("\n"), 10)
	assert.ErrorIs(t, err, ErrIncompleteRead)
	v, err := slot.ReceiveExactlyView(bg, slot.BufferedLen())
	require.NoError(t, err)
	assert.Equal(t, "x", string(v))
	_, err = slot.ReceiveExactly(bg, 1)
	assert.Equal(t, io.EOF, err)
	slot.Release()
}

func TestSlotExcludesOtherReads(t *testing.T) {
	r := NewReceiver(script("data\n"))
	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	for name, read := range blockingReads() {
		assert.ErrorIs(t, read(bg, r), stream.ErrBusy, name)
	}
	_, err = r.Acquire(bg)
	assert.ErrorIs(t, err, stream.ErrBusy)
	assert.Panics(t, func() { r.Feed([]byte("x")) })
	assert.Panics(t, func() { r.Buffered() })
	slot.Release()

	line, err := r.ReceiveUntil(bg, []byte("\n"), 10)
	require.NoError(t, err, "Release gives the slot back")
	assert.Equal(t, "data", string(line))
}

func TestSlotContextAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	cancel()
	r := NewReceiver(script())
	r.Feed([]byte("buffered"))
	_, err := r.Acquire(ctx)
	assert.ErrorIs(t, err, context.Canceled, "Acquire checks the ctx")

	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	v, err := slot.ReceiveExactlyView(ctx, 4)
	require.NoError(t, err, "a held slot serves buffered bytes whatever the ctx")
	assert.Equal(t, "buff", string(v))
	_, err = slot.ReceiveExactly(ctx, 5)
	assert.ErrorIs(t, err, context.Canceled, "the ctx is consulted when the transport is read")
	assert.Equal(t, "ered", string(slot.Buffered()))

	require.NoError(t, r.Close())
	_, err = slot.ReceiveExactly(bg, 1)
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = slot.ReceiveExactlyView(bg, 1)
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = slot.ReceiveUntil(bg, []byte("\n"), 1)
	assert.ErrorIs(t, err, stream.ErrClosed)
	slot.Release()
	_, err = r.Acquire(bg)
	assert.ErrorIs(t, err, stream.ErrClosed)
}

func TestSlotBufferedViewAndDiscard(t *testing.T) {
	src := script("more")
	r := NewReceiver(src)
	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	assert.Empty(t, slot.BufferedView(), "nothing buffered yet")
	slot.Release()

	r.Feed([]byte("\x02abcdef"))
	slot, err = r.Acquire(bg)
	require.NoError(t, err)
	defer slot.Release()
	v := slot.BufferedView()
	assert.Equal(t, "\x02abcdef", string(v))
	assert.Equal(t, len(v), cap(v), "appending never writes into the buffer")
	assert.Equal(t, v, slot.BufferedView(), "BufferedView consumes nothing")

	slot.Discard(1)
	assert.Equal(t, "abcdef", string(slot.BufferedView()))
	assert.Panics(t, func() { slot.Discard(7) })
	assert.Panics(t, func() { slot.Discard(-1) })
	assert.Equal(t, 6, slot.BufferedLen(), "a refused Discard consumes nothing")
	p, err := slot.ReceiveExactly(bg, 2)
	require.NoError(t, err)
	assert.Equal(t, "ab", string(p))
	slot.Discard(4)
	assert.Empty(t, slot.BufferedView())
	assert.Zero(t, src.calls, "neither reads the transport")

	p, err = slot.ReceiveExactly(bg, 4)
	require.NoError(t, err)
	assert.Equal(t, "more", string(p), "the transport follows the discarded bytes")
}

// A read that finds the slot held fails with ErrBusy whether or not what it
// asks for is buffered, and consumes nothing.
func TestSlotExcludesReadsOfBufferedBytes(t *testing.T) {
	r := NewReceiver(script())
	r.Feed([]byte("0123456789\nrest"))
	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	for name, read := range blockingReads() {
		assert.ErrorIs(t, read(bg, r), stream.ErrBusy, name)
	}
	assert.Equal(t, 15, slot.BufferedLen())
	slot.Release()
	for name, read := range blockingReads() {
		r.Feed([]byte("0123456789\n"))
		assert.NoError(t, read(bg, r), name)
	}
}
