package streamtest_test

import (
	"net"
	"testing"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// netPipe adapts the two ends of a net.Pipe, which is synchronous and has no
// half-close: the suite's NoHalfClose paths run on it.
func netPipe(testing.TB) (a, b stream.ByteStream, stop func()) {
	c1, c2 := net.Pipe()
	return stream.FromNetConn(c1), stream.FromNetConn(c2), func() {}
}

func TestByteStreamFromNetConnPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("the memory pipes cover the suite in short mode")
	}
	streamtest.TestByteStream(t, netPipe, streamtest.ByteStreamOptions{
		Clogged:     netPipe,
		NoHalfClose: true,
	})
}
