package stream

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sliceReceiver receives items, then err, forever.
type sliceReceiver struct {
	items  []int
	err    error
	calls  int
	closed bool
}

func (r *sliceReceiver) Receive(context.Context) (int, error) {
	r.calls++
	if len(r.items) == 0 {
		return 0, r.err
	}
	v := r.items[0]
	r.items = r.items[1:]
	return v, nil
}

func (r *sliceReceiver) Close() error {
	r.closed = true
	return nil
}

func TestAllUntilEOF(t *testing.T) {
	r := &sliceReceiver{items: []int{1, 2, 3}, err: io.EOF}
	var got []int
	for v, err := range All[int](context.Background(), r) {
		assert.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 2, 3}, got)
	assert.False(t, r.closed)
}

func TestAllYieldsErrorOnce(t *testing.T) {
	boom := errors.New("boom")
	r := &sliceReceiver{items: []int{1}, err: boom}
	var vals []int
	var errs []error
	for v, err := range All[int](context.Background(), r) {
		vals = append(vals, v)
		errs = append(errs, err)
	}
	assert.Equal(t, []int{1, 0}, vals)
	assert.Equal(t, []error{nil, boom}, errs)
	assert.Equal(t, 2, r.calls, "no Receive after the error")
	assert.False(t, r.closed)
}

func TestAllBreakStopsReceiving(t *testing.T) {
	r := &sliceReceiver{items: []int{1, 2, 3}, err: io.EOF}
	for range All[int](context.Background(), r) {
		break
	}
	assert.Equal(t, 1, r.calls)
}
