package memory_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// bytePipe returns a maker of byte pipes with the given buffer size.
func bytePipe(size int) streamtest.MakeByteStreams {
	return func(testing.TB) (a, b stream.ByteStream, stop func()) {
		x, y := memory.NewBytePipe(size)
		return x, y, func() {}
	}
}

var errAborted = errors.New("memory test: pipe aborted")

// abortPipe tears a pipe end down the way a failing transport would.
func abortPipe(s stream.ByteStream) { s.(*memory.BytePipeEnd).CloseWithError(errAborted) }

func TestBytePipeConformance(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		clogged int
	}{
		{"Buffered", 64 << 10, 0},
		{"Small", 16, 16},
		{"Synchronous", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streamtest.TestByteStream(t, bytePipe(tc.size), streamtest.ByteStreamOptions{
				Clogged: bytePipe(tc.clogged),
				Abort:   abortPipe,
			})
		})
	}
}

func TestObjectStreamConformance(t *testing.T) {
	item := func(i int) string { return fmt.Sprint("item ", i) }
	for _, size := range []int{0, 64, memory.Unbounded} {
		t.Run(fmt.Sprint("buffer=", size), func(t *testing.T) {
			streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
				s, r := memory.NewObjectStream[string](size)
				return s, r, func() {}
			}, item, streamtest.ObjectStreamOptions{})
		})
	}
}

func TestObjectPipeConformance(t *testing.T) {
	item := func(i int) []int { return []int{i, i * i} }
	for _, size := range []int{0, 64} {
		t.Run(fmt.Sprint("buffer=", size), func(t *testing.T) {
			streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[[]int], stream.ObjectReceiver[[]int], func()) {
				// The suite drives one direction; closing both ends
				// closes the other one too.
				a, b := memory.NewObjectPipe[[]int](size)
				return a, b, func() {}
			}, item, streamtest.ObjectStreamOptions{})
		})
	}
}
