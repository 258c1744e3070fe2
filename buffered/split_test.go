package buffered

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

var nl = []byte("\n")

func collect(t *testing.T, r *Receiver, ctx context.Context, limit int) (lines []string, errs []error) {
	t.Helper()
	for line, err := range r.SplitSeq(ctx, nl, limit) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lines = append(lines, string(line))
	}
	return lines, errs
}

func TestSplitSeqEndsAtEOF(t *testing.T) {
	r := NewReceiver(&cutReceiver{data: []byte("a\nbb\n\nccc\n"), cuts: []byte{1, 0, 4}})
	lines, errs := collect(t, r, bg, 10)
	assert.Equal(t, []string{"a", "bb", "", "ccc"}, lines)
	assert.Empty(t, errs, "a clean end of stream yields no error")
}

func TestSplitSeqErrorsEndTheLoop(t *testing.T) {
	r := NewReceiver(script("a\nunterminated"))
	lines, errs := collect(t, r, bg, 100)
	assert.Equal(t, []string{"a"}, lines)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrIncompleteRead)
	assert.Equal(t, "unterminated", string(r.Buffered()))

	r = NewReceiver(script("ok\ntoo long a line\n"))
	lines, errs = collect(t, r, bg, 5)
	assert.Equal(t, []string{"ok"}, lines)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrDelimiterNotFound)
	assert.True(t, strings.HasPrefix(string(r.Buffered()), "too l"))
}

func TestSplitSeqStopsOnCancelWithLinesBuffered(t *testing.T) {
	r := NewReceiver(script("1\n2\n3\n"))
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	var lines []string
	var errs []error
	for line, err := range r.SplitSeq(ctx, nl, 10) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lines = append(lines, string(line))
		cancel()
	}
	assert.Equal(t, []string{"1"}, lines)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Equal(t, "2\n3\n", string(r.Buffered()), "nothing is lost")

	_, errs = collect(t, r, ctx, 10)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled, "an already-cancelled ctx yields its error at once")
}

func TestSplitSeqHoldsTheSlot(t *testing.T) {
	r := NewReceiver(script("1\n2\n3\n"))
	for line, err := range r.SplitSeq(bg, nl, 10) {
		require.NoError(t, err)
		assert.Equal(t, "1", string(line))
		_, err = r.Receive(bg, make([]byte, 1))
		assert.ErrorIs(t, err, stream.ErrBusy)
		break
	}
	line, err := r.ReceiveUntil(bg, nl, 10)
	require.NoError(t, err, "breaking out of the loop releases the slot")
	assert.Equal(t, "2", string(line))

	var steps []error
	for line, err := range r.SplitSeq(bg, nl, 10) {
		steps = append(steps, err)
		if err == nil {
			assert.Equal(t, "3", string(line))
			require.NoError(t, r.Close())
		}
	}
	require.Len(t, steps, 2)
	assert.ErrorIs(t, steps[1], stream.ErrClosed, "the step after Close reports it")
	_, errs := collect(t, r, bg, 10)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], stream.ErrClosed)
	assert.Panics(t, func() { r.SplitSeq(bg, nil, 10) })
}

func TestSplitSeqReportsBusy(t *testing.T) {
	r := NewReceiver(script("1\n"))
	slot, err := r.Acquire(bg)
	require.NoError(t, err)
	_, errs := collect(t, r, bg, 10)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], stream.ErrBusy)
	slot.Release()
}

func TestSplitSeqZeroAllocs(t *testing.T) {
	data := []byte(strings.Repeat("a line of text\n", 300))
	r := NewReceiver(&cyclic{data: data})
	allocs := testing.AllocsPerRun(100, func() {
		n := 0
		for line, err := range r.SplitSeq(bg, nl, 1024) {
			if err != nil || len(line) != 14 {
				t.Fatalf("got %q, %v", line, err)
			}
			if n++; n == 100 {
				break
			}
		}
	})
	assert.Zero(t, allocs)
}
