package codec

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

type point struct {
	X, Y int
	Name string `json:",omitempty"`
}

func TestJSONRoundTrip(t *testing.T) {
	a, b := pipe(t, 1<<16)
	ja, jb := JSON[point](LengthPrefixed(a)), JSON[point](LengthPrefixed(b))
	items := []point{{1, 2, "a"}, {}, {X: -5, Name: "ü"}}
	for _, p := range items {
		require.NoError(t, ja.Send(bg, p))
	}
	require.NoError(t, ja.CloseWrite())
	for _, want := range items {
		got, err := jb.Receive(bg)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := jb.Receive(bg)
	assert.Equal(t, io.EOF, err)
}

func TestJSONDecodeErrorLeavesStreamUsable(t *testing.T) {
	a, b := pipe(t, 1<<16)
	raw := LengthPrefixed(a)
	jb := JSON[point](LengthPrefixed(b))
	for _, frame := range []string{`{"X": 1`, `"not a point"`, `{"X": 1} trailing`, `{"X": 7}`} {
		require.NoError(t, raw.Send(bg, []byte(frame)))
	}
	var syntax *json.SyntaxError
	_, err := jb.Receive(bg)
	require.ErrorIs(t, err, ErrDecode)
	assert.ErrorAs(t, err, &syntax)
	assert.NotErrorIs(t, err, stream.ErrBroken)
	assert.Contains(t, err.Error(), "codec: json: receive")

	var typeErr *json.UnmarshalTypeError
	_, err = jb.Receive(bg)
	require.ErrorIs(t, err, ErrDecode)
	assert.ErrorAs(t, err, &typeErr)

	_, err = jb.Receive(bg)
	require.ErrorIs(t, err, ErrDecode)

	got, err := jb.Receive(bg)
	require.NoError(t, err, "the next item after a bad one is received")
	assert.Equal(t, point{X: 7}, got)
}

func TestJSONEncodeErrorSendsNothing(t *testing.T) {
	a, b := pipe(t, 1<<16)
	ja := JSON[float64](LengthPrefixed(a))
	err := ja.Send(bg, math.Inf(1))
	require.ErrorIs(t, err, ErrEncode)
	var unsupported *json.UnsupportedValueError
	assert.ErrorAs(t, err, &unsupported)

	require.NoError(t, ja.Send(bg, 1.5), "the stream stays usable")
	got, err := JSON[float64](LengthPrefixed(b)).Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, 1.5, got, "nothing of the refused item was sent")
}

func TestJSONOverBrokenFraming(t *testing.T) {
	a, b := pipe(t, 1<<16)
	require.NoError(t, a.Send(bg, []byte{0xff, 0xff, 0xff, 0xff}))
	jb := JSON[point](LengthPrefixed(b))
	_, err := jb.Receive(bg)
	require.ErrorIs(t, err, stream.ErrBroken, "a framing error below stays a broken stream")
	assert.ErrorIs(t, err, ErrFrameTooLarge)
}

func TestMapCustomCodec(t *testing.T) {
	a, b := pipe(t, 1<<16)
	itoa := func(n int) (string, error) {
		if n < 0 {
			return "", errors.New("negative")
		}
		return strconv.Itoa(n), nil
	}
	ma := Map(Lines(a), itoa, strconv.Atoi)
	mb := Map(Lines(b), itoa, strconv.Atoi)
	require.NoError(t, ma.Send(bg, 42))
	assert.ErrorIs(t, ma.Send(bg, -1), ErrEncode)
	require.NoError(t, Lines(a).Send(bg, "forty-two"))
	require.NoError(t, ma.Send(bg, 7))

	got, err := mb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, 42, got)
	_, err = mb.Receive(bg)
	assert.ErrorIs(t, err, ErrDecode)
	assert.ErrorIs(t, err, strconv.ErrSyntax)
	assert.Contains(t, err.Error(), "codec: map: receive")
	got, err = mb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, 7, got)
}

func TestMapCloseCloseWriteExtra(t *testing.T) {
	a, b := pipe(t, 1<<16)
	h := &hooked{ByteStream: a}
	encodes := 0
	ma := Map(LengthPrefixed(h), func(s string) ([]byte, error) { encodes++; return []byte(s), nil },
		func(p []byte) (string, error) { return string(p), nil })
	v, err := stream.Extra(ma, testAttr)
	require.NoError(t, err)
	assert.Equal(t, "hooked", v)

	require.NoError(t, ma.Send(bg, "x"))
	require.NoError(t, ma.CloseWrite())
	assert.ErrorIs(t, ma.Send(bg, "y"), stream.ErrClosed)
	assert.Equal(t, 1, encodes, "a Send after CloseWrite does not encode")
	mb := Map(LengthPrefixed(b), func(s string) ([]byte, error) { return []byte(s), nil },
		func(p []byte) (string, error) { return string(p), nil })
	got, err := mb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "x", got)
	_, err = mb.Receive(bg)
	assert.Equal(t, io.EOF, err)

	require.NoError(t, ma.Close())
	assert.EqualValues(t, 1, h.closes.Load(), "Close closes the stack down to the transport")
	_, err = ma.Receive(bg)
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.ErrorIs(t, ma.Send(bg, "z"), stream.ErrClosed)
	assert.ErrorIs(t, ma.CloseWrite(), stream.ErrClosed)
}

// A CloseWrite refused because a Send holds the framing changes nothing:
// Sends keep working, and a later CloseWrite half-closes.
func TestMapCloseWriteRefusedWhileSending(t *testing.T) {
	a, b := pipe(t, 0) // synchronous: a Send blocks until b reads
	// Bounded, so that a regression fails instead of hanging.
	bg, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	s := JSON[int](LengthPrefixed(a))
	res := soon(func() error { return s.Send(bg, 1) })
	settle()
	require.ErrorIs(t, s.CloseWrite(), stream.ErrBusy)
	rb := JSON[int](LengthPrefixed(b))
	v, err := rb.Receive(bg)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	require.NoError(t, <-res)

	res = soon(func() error { return s.Send(bg, 2) })
	v, err = rb.Receive(bg)
	require.NoError(t, err, "Sends still work after the refused CloseWrite")
	require.Equal(t, 2, v)
	require.NoError(t, <-res)
	require.NoError(t, s.CloseWrite())
	_, err = rb.Receive(bg)
	require.ErrorIs(t, err, io.EOF)
}
