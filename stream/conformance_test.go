package stream_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// pipeBuffer is the buffer size of the buffered memory pipes below.
const pipeBuffer = 64 << 10

// stapledPipes staples two one-way memory pipes into a two-way pair.
func stapledPipes(size int) streamtest.MakeByteStreams {
	return func(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
		ab1, ab2 := memory.NewBytePipe(size)
		ba1, ba2 := memory.NewBytePipe(size)
		a := &stream.StapledByteStream{Sender: ab1, Receiver: ba2}
		b := &stream.StapledByteStream{Sender: ba1, Receiver: ab2}
		return a, b, func() { ab1.Close(); ab2.Close(); ba1.Close(); ba2.Close() }
	}
}

func TestStapledConformance(t *testing.T) {
	streamtest.TestByteStream(t, stapledPipes(pipeBuffer), streamtest.ByteStreamOptions{
		Clogged: stapledPipes(0),
	})
}

// memoryOverNetConn is FromNetConn(NetConn(memory pipe end)): both adapters
// stacked on the reference stream.
func memoryOverNetConn(size int) streamtest.MakeByteStreams {
	return func(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
		a, b := memory.NewBytePipe(size)
		sa, sb := stream.FromNetConn(stream.NetConn(a)), stream.FromNetConn(stream.NetConn(b))
		return sa, sb, func() { a.Close(); b.Close() }
	}
}

func TestAdaptersOverMemoryConformance(t *testing.T) {
	streamtest.TestByteStream(t, memoryOverNetConn(pipeBuffer), streamtest.ByteStreamOptions{
		Clogged: memoryOverNetConn(0),
	})
}

func TestNetConnOverMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{{"buffered", pipeBuffer}, {"synchronous", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
				a, b := memory.NewBytePipe(tc.size)
				c1, c2 := stream.NetConn(a), stream.NetConn(b)
				return c1, c2, func() { c1.Close(); c2.Close() }, nil
			})
		})
	}
}

func netPipe(testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	a, b := net.Pipe()
	return stream.FromNetConn(a), stream.FromNetConn(b), func() { a.Close(); b.Close() }
}

func TestFromNetConnPipeConformance(t *testing.T) {
	streamtest.TestByteStream(t, netPipe, streamtest.ByteStreamOptions{
		Clogged:     netPipe, // net.Pipe is synchronous
		NoHalfClose: true,
	})
}

// tcpLoopback makes a pair of FromNetConn streams over a TCP loopback
// connection.
func tcpLoopback(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	return tcpPair(t, false)
}

// tcpClogged is tcpLoopback with small socket buffers, so that a large Send
// blocks while the peer does not read.
func tcpClogged(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	return tcpPair(t, true)
}

func tcpPair(t testing.TB, clog bool) (stream.ByteStream, stream.ByteStream, func()) {
	l, err := nettest.NewLocalListener("tcp")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	a, err := net.Dial(l.Addr().Network(), l.Addr().String())
	require.NoError(t, err)
	b := <-accepted
	require.NotNil(t, b)
	sa, sb := stream.FromNetConn(a), stream.FromNetConn(b)
	if clog {
		sockettest.Clog(t, sa, sb)
	}
	return sa, sb, func() { a.Close(); b.Close() }
}

// resetTCP closes s with a TCP reset.
func resetTCP(s stream.ByteStream) {
	if raw, err := stream.Extra(s, stream.RawSocket); err == nil {
		_ = raw.(*net.TCPConn).SetLinger(0)
	}
	_ = s.Close()
}

func TestFromNetConnTCPConformance(t *testing.T) {
	streamtest.TestByteStream(t, tcpLoopback, streamtest.ByteStreamOptions{Clogged: tcpClogged, Abort: resetTCP})
}
