package codec

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/stream"
)

func TestLinesRoundTrip(t *testing.T) {
	a, b := pipe(t, 1<<16)
	la, lb := Lines(a), Lines(b)
	lines := []string{"hello", "", "naïve ✓", strings.Repeat("x", 5000), "a\rb"}
	for _, l := range lines {
		require.NoError(t, la.Send(bg, l))
	}
	require.NoError(t, la.CloseWrite())
	for _, want := range lines {
		got, err := lb.Receive(bg)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := lb.Receive(bg)
	assert.Equal(t, io.EOF, err)
	_, err = lb.Receive(bg)
	assert.Equal(t, io.EOF, err, "end of stream is sticky")
}

func TestLinesWireFormat(t *testing.T) {
	a, b := pipe(t, 1<<10)
	la := Lines(a)
	require.NoError(t, la.Send(bg, "one"))
	require.NoError(t, la.Send(bg, ""))
	require.NoError(t, la.CloseWrite())
	assert.Equal(t, "one\n\n", string(readAll(t, b)))
}

func TestLinesStripsCarriageReturn(t *testing.T) {
	a, b := pipe(t, 1<<10)
	require.NoError(t, a.Send(bg, []byte("crlf\r\nlf\n\r\n\r\r\nlast\r")))
	require.NoError(t, a.CloseWrite())
	lb := Lines(b)
	for _, want := range []string{"crlf", "lf", "", "\r", "last\r"} {
		got, err := lb.Receive(bg)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := lb.Receive(bg)
	assert.Equal(t, io.EOF, err)
}

func TestLinesUnterminatedLastLine(t *testing.T) {
	a, b := pipe(t, 1<<10)
	require.NoError(t, a.Send(bg, []byte("first\nlast")))
	require.NoError(t, a.Close())
	lb := Lines(b)
	got, err := lb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "first", got)
	got, err = lb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "last", got)
	_, err = lb.Receive(bg)
	assert.Equal(t, io.EOF, err)
}

func TestLinesSendRefusesWhatCannotRoundTrip(t *testing.T) {
	a, b := pipe(t, 1<<10)
	la := Lines(a, MaxLineLength(8))
	for _, bad := range []string{"two\nlines", "\n", "cr\r"} {
		err := la.Send(bg, bad)
		require.ErrorIs(t, err, ErrInvalidLine, "%q", bad)
		assert.NotErrorIs(t, err, stream.ErrBroken)
	}
	err := la.Send(bg, "123456789")
	require.ErrorIs(t, err, ErrLineTooLong)
	assert.Contains(t, err.Error(), "limit of 8")

	require.NoError(t, la.Send(bg, "12345678"), "the stream stays usable")
	require.NoError(t, la.CloseWrite())
	assert.Equal(t, "12345678\n", string(readAll(t, b)), "nothing of the refused lines was sent")
}

func TestLinesMaxLengthExcludesLineEnding(t *testing.T) {
	a, b := pipe(t, 1<<10)
	require.NoError(t, a.Send(bg, []byte("1234\n1234\r\n")))
	lb := Lines(b, MaxLineLength(4))
	for range 2 {
		got, err := lb.Receive(bg)
		require.NoError(t, err)
		assert.Equal(t, "1234", got)
	}
}

func TestLinesTooLongBreaksReceive(t *testing.T) {
	for name, input := range map[string]string{
		"terminated":   "12345\nok\n",
		"crlf":         "12345\r\nok\n",
		"unterminated": "12345",
		"no newline":   "123456789012345678901234567890",
		"cr counts":    "1234\r5\n",
	} {
		t.Run(name, func(t *testing.T) {
			a, b := pipe(t, 1<<10)
			require.NoError(t, a.Send(bg, []byte(input)))
			require.NoError(t, a.CloseWrite())
			lb := Lines(b, MaxLineLength(4))
			_, err := lb.Receive(bg)
			require.ErrorIs(t, err, ErrLineTooLong)
			assert.ErrorIs(t, err, stream.ErrBroken)
			assert.Contains(t, err.Error(), "limit of 4 bytes")

			_, again := lb.Receive(bg)
			assert.Equal(t, err, again, "the receive side stays broken")

			require.NoError(t, lb.Send(bg, "ok!"), "the send side is independent")
			got, err := Lines(a).Receive(bg)
			require.NoError(t, err)
			assert.Equal(t, "ok!", got)
		})
	}
}

func TestLinesMemoryBounded(t *testing.T) {
	a, b := pipe(t, 0)
	const limit = 1000
	bs := buffered.NewStream(b)
	lb := Lines(bs, MaxLineLength(limit))
	flood := soon(func() error {
		chunk := []byte(strings.Repeat("x", 4096))
		for {
			if err := a.Send(bg, chunk); err != nil {
				return err
			}
		}
	})
	_, err := lb.Receive(bg)
	require.ErrorIs(t, err, ErrLineTooLong)
	assert.LessOrEqual(t, len(bs.Buffered()), 4096, "a line is never buffered beyond its limit (or the 4 KiB read-ahead)")
	require.NoError(t, lb.Close())
	assert.ErrorIs(t, <-flood, stream.ErrBroken)
}

func TestLinesUsesGivenBuffer(t *testing.T) {
	a, b := pipe(t, 1<<10)
	bs := buffered.NewStream(b)
	bs.Feed([]byte("fed\npart"))
	require.NoError(t, a.Send(bg, []byte("ial\n")))
	lb := Lines(bs)
	for _, want := range []string{"fed", "partial"} {
		got, err := lb.Receive(bg)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestLinesCancelledReceiveKeepsPartialLine(t *testing.T) {
	a, b := pipe(t, 1<<10)
	lb := Lines(b)
	require.NoError(t, a.Send(bg, []byte("half a ")))
	ctx, cancel := context.WithCancel(bg)
	res := soon(func() error { _, err := lb.Receive(ctx); return err })
	settle()
	cancel()
	assert.ErrorIs(t, <-res, context.Canceled)
	require.NoError(t, a.Send(bg, []byte("line\n")))
	got, err := lb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "half a line", got)
}

func TestLinesCancelledSendBreaksSendSide(t *testing.T) {
	a, b := pipe(t, 0) // synchronous: Send blocks until b reads
	la := Lines(a)

	ctx, cancel := context.WithCancel(bg)
	cancel()
	err := la.Send(ctx, "not sent")
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, stream.ErrBroken, "an already-cancelled Send sends nothing and breaks nothing")

	ctx, cancel = context.WithCancel(bg)
	res := soon(func() error { return la.Send(ctx, "blocked") })
	settle()
	cancel()
	require.ErrorIs(t, <-res, context.Canceled)

	err = la.Send(bg, "after")
	require.ErrorIs(t, err, stream.ErrBroken)
	assert.NotErrorIs(t, err, context.Canceled, "a later Send's error must not read as its own cancellation")
	assert.ErrorContains(t, err, "an earlier send was interrupted", "the broken error names its cause")
	assert.ErrorIs(t, la.Send(bg, "again"), stream.ErrBroken, "broken is sticky")

	require.NoError(t, la.Close())
	assert.ErrorIs(t, la.Send(bg, "closed"), stream.ErrClosed, "close takes precedence over broken")
	_ = b
}

func TestLinesTransportFailureBreaksSend(t *testing.T) {
	a, b := pipe(t, 1<<10)
	h := &hooked{ByteStream: a}
	la := Lines(h)
	require.NoError(t, la.Send(bg, "ok"))
	h.failSends.Store(true)
	require.ErrorIs(t, la.Send(bg, "fails"), errHook)
	h.failSends.Store(false)
	err := la.Send(bg, "later")
	require.ErrorIs(t, err, stream.ErrBroken)
	assert.ErrorIs(t, err, errHook)
	assert.EqualValues(t, 2, h.sends.Load(), "a broken stream does not touch the transport")

	got, err := Lines(b).Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "ok", got, "the receive direction is unaffected")

	require.NoError(t, la.Close())
	require.NoError(t, la.Close())
	assert.EqualValues(t, 2, h.closes.Load())
}

func TestLinesBusy(t *testing.T) {
	a, b := pipe(t, 0) // synchronous: a Send blocks until the peer reads
	la, lb := Lines(a), Lines(b)
	recv := soon(func() error { _, err := lb.Receive(bg); return err })
	send := soon(func() error { return lb.Send(bg, "to a") })
	settle()
	_, err := lb.Receive(bg)
	assert.ErrorIs(t, err, stream.ErrBusy, "a second concurrent Receive")
	assert.ErrorIs(t, lb.Send(bg, "x"), stream.ErrBusy, "a second concurrent Send")
	assert.ErrorIs(t, lb.CloseWrite(), stream.ErrBusy, "CloseWrite during a Send")

	got, err := la.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "to a", got)
	require.NoError(t, <-send, "the first Send is unaffected")
	require.NoError(t, la.Send(bg, "to b"))
	require.NoError(t, <-recv, "the first Receive is unaffected")
	require.NoError(t, lb.CloseWrite(), "busy is not sticky")
}

func TestLinesCloseAndCloseWrite(t *testing.T) {
	a, b := pipe(t, 1<<10)
	la, lb := Lines(a), Lines(b)
	blocked := soon(func() error { _, err := la.Receive(bg); return err })
	require.NoError(t, la.Send(bg, "x"))
	require.NoError(t, la.CloseWrite())
	require.NoError(t, la.CloseWrite(), "CloseWrite is idempotent")
	assert.ErrorIs(t, la.Send(bg, "y"), stream.ErrClosed)

	got, err := lb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "x", got)
	_, err = lb.Receive(bg)
	assert.Equal(t, io.EOF, err)
	require.NoError(t, lb.Send(bg, "reply"), "the other direction still works")
	require.NoError(t, <-blocked)

	settleBlocked := soon(func() error { _, err := la.Receive(bg); return err })
	settle()
	require.NoError(t, la.Close())
	assert.ErrorIs(t, <-settleBlocked, stream.ErrClosed)
	require.NoError(t, la.Close())
	_, err = la.Receive(bg)
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.ErrorIs(t, la.Send(bg, "z"), stream.ErrClosed)
	assert.ErrorIs(t, la.Send(bg, "invalid\n"), stream.ErrClosed, "closed comes first")
	assert.ErrorIs(t, la.CloseWrite(), stream.ErrClosed)
}

func TestLinesExtraForwards(t *testing.T) {
	a, _ := pipe(t, 0)
	l := Lines(&hooked{ByteStream: a})
	v, err := stream.Extra(l, testAttr)
	require.NoError(t, err)
	assert.Equal(t, "hooked", v)
	_, err = stream.Extra(l, stream.RemotePort)
	assert.True(t, errors.Is(err, stream.ErrAttributeNotFound))
}

func TestLinesOptionsPanic(t *testing.T) {
	assert.Panics(t, func() { MaxLineLength(-1) })
	a, _ := pipe(t, 0)
	assert.NotPanics(t, func() { Lines(a, MaxLineLength(int(^uint(0)>>1))) })
}
