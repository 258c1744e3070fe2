package streamtest_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// countingStream is a byte stream someone wrote: a wrapper that counts the
// bytes it sends and passes everything else to the stream it wraps.
type countingStream struct {
	stream.ByteStream
	sent atomic.Int64
}

func (c *countingStream) Send(ctx context.Context, p []byte) error {
	if err := c.ByteStream.Send(ctx, p); err != nil {
		return err
	}
	c.sent.Add(int64(len(p)))
	return nil
}

// makeCountingPair is the maker: a fresh connected pair for every check.
func makeCountingPair(testing.TB) (a, b stream.ByteStream, stop func()) {
	x, y := memory.NewBytePipe(4096)
	return &countingStream{ByteStream: x}, &countingStream{ByteStream: y}, func() {}
}

// makeCloggedCountingPair wraps a synchronous pipe, whose Send waits for the
// peer to receive, so that the checks about blocked Sends run too.
func makeCloggedCountingPair(testing.TB) (a, b stream.ByteStream, stop func()) {
	x, y := memory.NewBytePipe(0)
	return &countingStream{ByteStream: x}, &countingStream{ByteStream: y}, func() {}
}

// Run the byte-stream conformance suite on your own stream from a test in
// your package. Run it with -race: several checks are about data races.
func ExampleTestByteStream() {
	// In countingstream_test.go:
	testCountingStream := func(t *testing.T) {
		streamtest.TestByteStream(t, makeCountingPair, streamtest.ByteStreamOptions{
			Clogged: makeCloggedCountingPair,
		})
	}
	_ = testCountingStream // func TestCountingStream(t *testing.T) { ... }
}
