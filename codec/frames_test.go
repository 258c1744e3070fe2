package codec

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

func TestFramesRoundTrip(t *testing.T) {
	a, b := pipe(t, 1<<16)
	fa, fb := LengthPrefixed(a), LengthPrefixed(b)
	frames := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte{0, 1, 2}, 20000), {'\n'}}
	done := soon(func() error {
		for _, f := range frames {
			if err := fa.Send(bg, f); err != nil {
				return err
			}
		}
		return fa.CloseWrite()
	})
	for _, want := range frames {
		got, err := fb.Receive(bg)
		require.NoError(t, err)
		assert.NotNil(t, got, "an empty frame is an empty slice, not nil")
		assert.Equal(t, want, got)
	}
	_, err := fb.Receive(bg)
	assert.Equal(t, io.EOF, err)
	require.NoError(t, <-done)
}

func TestFramesWireFormat(t *testing.T) {
	for _, tc := range []struct {
		opts   []FrameOption
		header []byte
	}{
		{nil, []byte{0, 0, 0, 3}},
		{[]FrameOption{LittleEndian()}, []byte{3, 0, 0, 0}},
		{[]FrameOption{HeaderSize(1)}, []byte{3}},
		{[]FrameOption{HeaderSize(2)}, []byte{0, 3}},
		{[]FrameOption{HeaderSize(2), LittleEndian()}, []byte{3, 0}},
		{[]FrameOption{HeaderSize(8)}, []byte{0, 0, 0, 0, 0, 0, 0, 3}},
		{[]FrameOption{HeaderSize(8), LittleEndian()}, []byte{3, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(fmt.Sprint(tc.header), func(t *testing.T) {
			a, b := pipe(t, 1<<10)
			fa := LengthPrefixed(a, tc.opts...)
			require.NoError(t, fa.Send(bg, []byte("abc")))
			require.NoError(t, fa.CloseWrite())
			wire := readAll(t, b)
			assert.Equal(t, append(bytes.Clone(tc.header), "abc"...), wire)

			c, d := pipe(t, 1<<10)
			require.NoError(t, c.Send(bg, wire))
			require.NoError(t, c.CloseWrite())
			got, err := LengthPrefixed(d, tc.opts...).Receive(bg)
			require.NoError(t, err)
			assert.Equal(t, "abc", string(got))
		})
	}
}

func TestFramesOptionsPanic(t *testing.T) {
	for _, n := range []int{0, 3, 5, 16, -1} {
		assert.Panics(t, func() { HeaderSize(n) }, "HeaderSize(%d)", n)
	}
	assert.Panics(t, func() { MaxFrameSize(-1) })
}

func TestFramesMaxSizeInclusive(t *testing.T) {
	a, b := pipe(t, 1<<10)
	fa, fb := LengthPrefixed(a, MaxFrameSize(10)), LengthPrefixed(b, MaxFrameSize(10))
	err := fa.Send(bg, make([]byte, 11))
	require.ErrorIs(t, err, ErrFrameTooLarge)
	assert.Contains(t, err.Error(), "11 bytes, over the limit of 10")
	assert.NotErrorIs(t, err, stream.ErrBroken)

	require.NoError(t, fa.Send(bg, make([]byte, 10)), "the limit is inclusive; the stream stays usable")
	got, err := fb.Receive(bg)
	require.NoError(t, err)
	assert.Len(t, got, 10)
}

func TestFramesHeaderCapsMaxSize(t *testing.T) {
	a, _ := pipe(t, 1<<10)
	f := LengthPrefixed(a, HeaderSize(1))
	require.NoError(t, f.Send(bg, make([]byte, 255)))
	assert.ErrorIs(t, f.Send(bg, make([]byte, 256)), ErrFrameTooLarge)
	f2 := LengthPrefixed(a, HeaderSize(2), MaxFrameSize(1<<20))
	assert.ErrorIs(t, f2.Send(bg, make([]byte, 1<<16)), ErrFrameTooLarge)
}

func TestFramesOversizedHeaderBreaksReceive(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []FrameOption
		header []byte
		want   string
	}{
		{"just over", []FrameOption{MaxFrameSize(10)}, []byte{0, 0, 0, 11}, "header announces 11 bytes, over the limit of 10"},
		{"default limit", nil, []byte{0xff, 0xff, 0xff, 0xff}, fmt.Sprintf("announces %d bytes, over the limit of %d", uint32(0xffffffff), DefaultMaxFrameSize)},
		{"huge 8-byte", []FrameOption{HeaderSize(8)}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "announces 18446744073709551615 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := pipe(t, 1<<10)
			// Only the header is sent: the frame is rejected on it alone,
			// without waiting for (or allocating) the payload.
			require.NoError(t, a.Send(bg, tc.header))
			fb := LengthPrefixed(b, tc.opts...)
			_, err := fb.Receive(bg)
			require.ErrorIs(t, err, ErrFrameTooLarge)
			assert.ErrorIs(t, err, stream.ErrBroken)
			assert.Contains(t, err.Error(), tc.want)
			_, again := fb.Receive(bg)
			assert.Equal(t, err, again, "the receive side stays broken")

			require.NoError(t, fb.Send(bg, []byte("ok")), "the send side keeps working")
			got, err := LengthPrefixed(a, tc.opts...).Receive(bg)
			require.NoError(t, err)
			assert.Equal(t, "ok", string(got))
		})
	}
}

func TestFramesTruncatedAtEOF(t *testing.T) {
	for name, wire := range map[string][]byte{
		"header":        {0, 0},
		"payload":       {0, 0, 0, 5, 'a', 'b'},
		"empty payload": {0, 0, 0, 1},
	} {
		t.Run(name, func(t *testing.T) {
			a, b := pipe(t, 1<<10)
			require.NoError(t, a.Send(bg, wire))
			require.NoError(t, a.CloseWrite())
			fb := LengthPrefixed(b)
			_, err := fb.Receive(bg)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.ErrorIs(t, err, stream.ErrBroken)
			assert.NotEqual(t, io.EOF, err)
			_, again := fb.Receive(bg)
			assert.Equal(t, err, again)
		})
	}
}

// A header announcing an enormous frame, within a limit raised as far as it
// goes, costs memory only for the bytes that follow it.
func TestFramesHugeAnnouncedLength(t *testing.T) {
	a, b := pipe(t, 1<<10)
	fb := LengthPrefixed(b, HeaderSize(8), MaxFrameSize(math.MaxInt))
	wire := binary.BigEndian.AppendUint64(nil, 1<<62)
	require.NoError(t, a.Send(bg, append(wire, 'x')))
	require.NoError(t, a.CloseWrite())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := fb.Receive(bg)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorIs(t, err, stream.ErrBroken)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "allocated for the announced length")
}

func TestFramesCancelledReceiveResumes(t *testing.T) {
	a, b := pipe(t, 1<<16)
	fb := LengthPrefixed(b)
	payload := bytes.Repeat([]byte("p"), 9000)
	wire := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	wire = append(wire, payload...)
	// Stop inside the header, then inside the payload.
	for _, cut := range []int{2, 6, 5000} {
		ctx, cancel := context.WithCancel(bg)
		res := soon(func() error { _, err := fb.Receive(ctx); return err })
		settle()
		cancel()
		require.ErrorIs(t, <-res, context.Canceled)
		require.NoError(t, a.Send(bg, wire[:cut]))
		wire = wire[cut:]
	}
	require.NoError(t, a.Send(bg, wire))
	got, err := fb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, payload, got)
}

func TestFramesSmallFrameIsOneSend(t *testing.T) {
	s := &sink{}
	f := LengthPrefixed(s)
	payload := make([]byte, 1000)
	require.NoError(t, f.Send(bg, payload))
	assert.Equal(t, 1, s.sends, "header and payload in one transport Send")
	allocs := testing.AllocsPerRun(100, func() {
		if err := f.Send(bg, payload); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "the send buffer is reused")

	s.sends = 0
	require.NoError(t, f.Send(bg, make([]byte, coalesceLimit)))
	assert.Equal(t, 2, s.sends, "a large frame goes as header and payload")
}

func TestFramesCancelledSendBreaksSendSide(t *testing.T) {
	a, b := pipe(t, 0)
	fa := LengthPrefixed(a)
	ctx, cancel := context.WithCancel(bg)
	res := soon(func() error { return fa.Send(ctx, []byte("blocked")) })
	settle()
	cancel()
	require.ErrorIs(t, <-res, context.Canceled)
	err := fa.Send(bg, []byte("after"))
	require.ErrorIs(t, err, stream.ErrBroken)
	assert.NotErrorIs(t, err, context.Canceled, "a later Send's error must not read as its own cancellation")
	assert.ErrorContains(t, err, "an earlier send was interrupted")

	// The receive direction is independent.
	got := soon(func() error {
		p, err := fa.Receive(bg)
		if err == nil && string(p) != "back" {
			err = fmt.Errorf("received %q", p)
		}
		return err
	})
	require.NoError(t, LengthPrefixed(b).Send(bg, []byte("back")))
	require.NoError(t, <-got)
}

func TestFramesUseAfterClose(t *testing.T) {
	a, _ := pipe(t, 1<<10)
	h := &hooked{ByteStream: a}
	f := LengthPrefixed(h)
	require.NoError(t, f.Close())
	require.NoError(t, f.Close())
	assert.EqualValues(t, 2, h.closes.Load())
	_, err := f.Receive(bg)
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.ErrorIs(t, f.Send(bg, nil), stream.ErrClosed)
	assert.ErrorIs(t, f.CloseWrite(), stream.ErrClosed)
	v, err := stream.Extra(f, testAttr)
	require.NoError(t, err)
	assert.Equal(t, "hooked", v)
}

// Frames that arrive together are decoded from the buffer, header and
// payload in one step; the header options and the limit apply there too.
func TestFramesDecodedFromOneChunk(t *testing.T) {
	for _, opts := range [][]FrameOption{nil, {LittleEndian()}, {HeaderSize(1)}, {HeaderSize(2), LittleEndian()}, {HeaderSize(8)}} {
		frames := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte("x"), 200), []byte("last")}
		w, r := pipe(t, 1<<12)
		enc := LengthPrefixed(w, opts...)
		for _, f := range frames {
			require.NoError(t, enc.Send(bg, f))
		}
		require.NoError(t, enc.CloseWrite())
		wire := readAll(t, r)

		a, b := pipe(t, 1<<12)
		require.NoError(t, a.Send(bg, wire), "all frames in one chunk")
		require.NoError(t, a.CloseWrite())
		fb := LengthPrefixed(b, opts...)
		for _, want := range frames {
			got, err := fb.Receive(bg)
			require.NoError(t, err)
			assert.NotNil(t, got, "an empty frame is an empty slice, not nil")
			assert.Equal(t, want, got)
		}
		_, err := fb.Receive(bg)
		assert.Equal(t, io.EOF, err)
	}
}

func TestFramesOversizedFrameRejectedWhenBuffered(t *testing.T) {
	a, b := pipe(t, 1<<10)
	wire := []byte{0, 0, 0, 1, 'z'}
	wire = append(wire, 0, 0, 0, 11)
	wire = append(wire, "0123456789a"...)
	require.NoError(t, a.Send(bg, wire), "the second frame is buffered by the first Receive")
	fb := LengthPrefixed(b, MaxFrameSize(10))
	got, err := fb.Receive(bg)
	require.NoError(t, err)
	assert.Equal(t, "z", string(got))
	_, err = fb.Receive(bg)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	assert.ErrorIs(t, err, stream.ErrBroken)
	_, again := fb.Receive(bg)
	assert.Equal(t, err, again, "the receive side stays broken")
}
