package buffered

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReceiveExactlyAcrossChunks(t *testing.T) {
	// anyio's test_receive_exactly.
	r := FromObjects(objectsOf("abcd", "efgh"))
	for _, want := range []string{"ab", "cdef", "gh"} {
		got, err := r.ReceiveExactly(bg, len(want))
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
	got, err := r.ReceiveExactly(bg, 0)
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func TestReceiveExactlyIncomplete(t *testing.T) {
	// anyio's test_receive_exactly_incomplete, plus io.ReadFull's rules.
	for _, n := range []int{8, 3 * defaultSize} { // buffered and direct paths
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := FromObjects(objectsOf("abcd"))
			_, err := r.ReceiveExactly(bg, n)
			require.ErrorIs(t, err, ErrIncompleteRead)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.Equal(t, "abcd", string(r.Buffered()), "the partial bytes are kept")

			got, err := r.ReceiveExactly(bg, 4)
			require.NoError(t, err)
			assert.Equal(t, "abcd", string(got))
			_, err = r.ReceiveExactly(bg, n)
			assert.Equal(t, io.EOF, err, "nothing buffered: plain io.EOF")
		})
	}
}

func TestReceiveExactlyViewIncomplete(t *testing.T) {
	r := NewReceiver(script("ab"))
	_, err := r.ReceiveExactlyView(bg, 3)
	assert.ErrorIs(t, err, ErrIncompleteRead)
	assert.Equal(t, "ab", string(r.Buffered()))
}

func TestReceiveExactlyLarge(t *testing.T) {
	data := make([]byte, 10*defaultSize+7)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, view := range []bool{false, true} {
		src := &cutReceiver{data: bytes.Clone(data), cuts: []byte{200, 3, 31}}
		r := NewReceiver(src)
		r.Feed(data[:5])
		src.data = src.data[5:]
		var got []byte
		var err error
		if view {
			got, err = r.ReceiveExactlyView(bg, len(data))
		} else {
			got, err = r.ReceiveExactly(bg, len(data))
		}
		require.NoError(t, err)
		assert.Equal(t, data, got)
		assert.Equal(t, len(got), cap(got))
		assert.LessOrEqual(t, len(r.buf), len(data), "memory bounded by n")
	}
}

func TestReceiveExactlyCancelKeepsBytes(t *testing.T) {
	for _, n := range []int{10, 30000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := bytes.Repeat([]byte("0123456789"), n/10)
			c := newChanReceiver()
			r := NewReceiver(c)
			ctx, cancel := context.WithCancel(bg)
			errc := make(chan error, 1)
			go func() {
				_, err := r.ReceiveExactly(ctx, n)
				errc <- err
			}()
			c.ch <- want[:n/2]
			<-c.entered // consumed the first half, waiting again
			<-c.entered
			cancel()
			require.ErrorIs(t, <-errc, context.Canceled)
			assert.Equal(t, want[:n/2], r.Buffered())

			c.ch <- want[n/2:]
			got, err := r.ReceiveExactly(bg, n)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestReceiveUntilAcrossChunks(t *testing.T) {
	// anyio's test_receive_until.
	r := FromObjects(objectsOf("abcd\r\nef", "gh\r\nij"))
	line, err := r.ReceiveUntil(bg, []byte("\r\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, "abcd", string(line))
	line, err = r.ReceiveUntil(bg, []byte("\r\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, "efgh", string(line))
	assert.Equal(t, "ij", string(r.Buffered()))
}

func TestReceiveUntilIncomplete(t *testing.T) {
	// anyio's test_receive_until_incomplete.
	r := FromObjects(objectsOf("abcd"))
	_, err := r.ReceiveUntil(bg, []byte("\r\n"), 10)
	require.ErrorIs(t, err, ErrIncompleteRead)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, "abcd", string(r.Buffered()))

	_, err = r.ReceiveExactly(bg, 4)
	require.NoError(t, err)
	_, err = r.ReceiveUntil(bg, []byte("\r\n"), 10)
	assert.Equal(t, io.EOF, err)
}

func TestReceiveUntilEmptyLines(t *testing.T) {
	r := NewReceiver(script("\n\nx\n"))
	for _, want := range []string{"", "", "x"} {
		line, err := r.ReceiveUntil(bg, []byte("\n"), 10)
		require.NoError(t, err)
		assert.NotNil(t, line)
		assert.Equal(t, want, string(line))
	}
}

func TestReceiveUntilDelimiterSplitEverywhere(t *testing.T) {
	for _, delim := range []string{"\n", "\r\n", "<END>", "aab"} {
		data := "aaa" + delim + "second" + delim + "x"
		for cut1 := 0; cut1 <= len(data); cut1++ {
			for cut2 := cut1; cut2 <= len(data); cut2++ {
				r := NewReceiver(script(data[:cut1], data[cut1:cut2], data[cut2:]))
				first, err := r.ReceiveUntil(bg, []byte(delim), 100)
				require.NoError(t, err, "delim %q cuts %d %d", delim, cut1, cut2)
				second, err := r.ReceiveUntil(bg, []byte(delim), 100)
				require.NoError(t, err, "delim %q cuts %d %d", delim, cut1, cut2)
				assert.Equal(t, "aaa", string(first))
				assert.Equal(t, "second", string(second))
				_, err = r.ReceiveUntil(bg, []byte(delim), 100)
				require.ErrorIs(t, err, ErrIncompleteRead)
				assert.Equal(t, "x", string(r.Buffered()))
			}
		}
	}
}

func TestReceiveUntilByteByByte(t *testing.T) {
	data := "one\r\ntwo\r\n\r\nfour"
	var chunks []string
	for i := range len(data) {
		chunks = append(chunks, data[i:i+1])
	}
	r := NewReceiver(script(chunks...))
	for _, want := range []string{"one", "two", ""} {
		line, err := r.ReceiveUntilView(bg, []byte("\r\n"), 10)
		require.NoError(t, err)
		assert.Equal(t, want, string(line))
	}
}

// arrivals returns readers that deliver data in different ways: all at
// once, byte by byte, fed before reading, and in 3-byte chunks.
func arrivals(data string) map[string]func() *Receiver {
	return map[string]func() *Receiver{
		"one chunk": func() *Receiver { return NewReceiver(script(data)) },
		"bytewise": func() *Receiver {
			return NewReceiver(&cutReceiver{data: []byte(data), cuts: []byte{0}})
		},
		"fed": func() *Receiver {
			r := NewReceiver(script())
			r.Feed([]byte(data))
			return r
		},
		"chunks of 3": func() *Receiver {
			return NewReceiver(&cutReceiver{data: []byte(data), cuts: []byte{2}})
		},
	}
}

func TestReceiveUntilStrictLimit(t *testing.T) {
	for how, mk := range arrivals("abcdef\r\nghi") {
		t.Run(how, func(t *testing.T) {
			// The delimiter ends at byte 8: a limit of 7 must not find it,
			// even when all the bytes are already buffered.
			r := mk()
			_, err := r.ReceiveUntil(bg, []byte("\r\n"), 7)
			require.ErrorIs(t, err, ErrDelimiterNotFound)
			assert.Contains(t, err.Error(), "7 bytes")
			assert.True(t, strings.HasPrefix("abcdef\r\nghi", string(r.Buffered())))
			assert.GreaterOrEqual(t, len(r.Buffered()), 7, "the bytes examined are kept")

			line, err := r.ReceiveUntil(bg, []byte("\r\n"), 8)
			require.NoError(t, err, "a later call with a larger limit finds it")
			assert.Equal(t, "abcdef", string(line))
		})
	}
}

func TestReceiveUntilSmallLimits(t *testing.T) {
	r := NewReceiver(script("\n"))
	_, err := r.ReceiveUntil(bg, []byte("\n"), 0)
	assert.ErrorIs(t, err, ErrDelimiterNotFound)
	_, err = r.ReceiveUntil(bg, []byte("\n"), -5)
	assert.ErrorIs(t, err, ErrDelimiterNotFound)
	line, err := r.ReceiveUntil(bg, []byte("\n"), 1)
	require.NoError(t, err)
	assert.Empty(t, line)
	assert.Panics(t, func() { _, _ = r.ReceiveUntil(bg, nil, 10) })
	assert.Panics(t, func() { _, _ = r.ReceiveExactly(bg, -1) })
	assert.Panics(t, func() { _, _ = r.ReceiveExactlyView(bg, -1) })
}

func TestReceiveUntilMemoryBounded(t *testing.T) {
	const limit = 100_000
	src := &endless{}
	r := NewReceiver(src)
	_, err := r.ReceiveUntil(bg, []byte("\n"), limit)
	require.ErrorIs(t, err, ErrDelimiterNotFound)
	assert.LessOrEqual(t, len(r.buf), limit)
	assert.LessOrEqual(t, src.served, limit, "never reads more than the limit asks for")
	assert.Len(t, r.Buffered(), src.served)

	small := NewReceiver(&endless{})
	_, err = small.ReceiveUntil(bg, []byte("\n"), 10)
	require.ErrorIs(t, err, ErrDelimiterNotFound)
	assert.LessOrEqual(t, len(small.buf), defaultSize)
}

func TestReceiveUntilCancelKeepsBytes(t *testing.T) {
	c := newChanReceiver()
	r := NewReceiver(c)
	ctx, cancel := context.WithCancel(bg)
	errc := make(chan error, 1)
	go func() {
		_, err := r.ReceiveUntil(ctx, []byte("\r\n"), 100)
		errc <- err
	}()
	c.ch <- []byte("partial line\r")
	<-c.entered
	<-c.entered
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Equal(t, "partial line\r", string(r.Buffered()))

	c.ch <- []byte("\nnext")
	line, err := r.ReceiveUntil(bg, []byte("\r\n"), 100)
	require.NoError(t, err)
	assert.Equal(t, "partial line", string(line))
}

func TestViewsAreCapped(t *testing.T) {
	r := NewReceiver(script("ab\ncdef"))
	line, err := r.ReceiveUntilView(bg, []byte("\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, len(line), cap(line))
	_ = append(line, 'X')
	v, err := r.ReceiveExactlyView(bg, 2)
	require.NoError(t, err)
	assert.Equal(t, "cd", string(v), "appending to a view must not write into the buffer")
	assert.Equal(t, 2, cap(v))
}

func TestViewZeroAllocs(t *testing.T) {
	data := []byte(strings.Repeat("a line of text\n", 300))
	src := &cyclic{data: data}
	r := NewReceiver(src)
	delim := []byte("\n")
	allocs := testing.AllocsPerRun(1000, func() {
		line, err := r.ReceiveUntilView(bg, delim, 1024)
		if err != nil || len(line) != 14 {
			t.Fatalf("got %q, %v", line, err)
		}
	})
	assert.Zero(t, allocs)
	allocs = testing.AllocsPerRun(1000, func() {
		if _, err := r.ReceiveExactlyView(bg, 15); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// endless serves 'x' forever, filling every read.
type endless struct{ served int }

func (e *endless) Receive(_ context.Context, p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.served += len(p)
	return len(p), nil
}

func (e *endless) Close() error { return nil }

// A large ReceiveExactly allocates as the bytes arrive, not on the strength
// of n: a peer that announces a lot and sends a little costs little, and a
// resumed call takes over the partial result instead of keeping it.
func TestReceiveExactlyGrowsWithWhatArrives(t *testing.T) {
	c := newChanReceiver()
	r := NewReceiver(c)
	const n = 8 << 20
	c.ch <- []byte("x")
	ctx, cancel := context.WithCancel(bg)
	res := make(chan error, 1)
	go func() {
		_, err := r.ReceiveExactly(ctx, n)
		res <- err
	}()
	<-c.entered // the byte was taken; the call waits for more
	<-c.entered
	cancel()
	require.ErrorIs(t, <-res, context.Canceled)
	assert.LessOrEqual(t, cap(r.buf), directStart, "allocated for the announced size")
	assert.Equal(t, []byte("x"), r.Buffered())

	// Resume with the rest, delivered in pieces.
	rest := bytes.Repeat([]byte("y"), n-1)
	go func() {
		for p := rest; len(p) > 0; p = p[min(len(p), 1<<20):] {
			c.ch <- p[:min(len(p), 1<<20)]
		}
	}()
	out, err := r.ReceiveExactly(bg, n)
	require.NoError(t, err)
	require.Len(t, out, n)
	assert.Equal(t, byte('x'), out[0])
	assert.Equal(t, byte('y'), out[n-1])
	assert.LessOrEqual(t, cap(r.buf), defaultSize, "the partial result was kept after it was taken over")
}
