package tcp_test

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
	"github.com/anyio-go/anyio/tcp"
)

// tcpPair makes connected pairs over loopback on host; a is the connecting
// end, b the accepted one. With clog, both ends' kernel buffers are shrunk
// (see sockettest.Clog), so that a large Send blocks until the peer
// receives.
func tcpPair(host string, clog bool) streamtest.MakeByteStreams {
	return func(t testing.TB) (a, b stream.ByteStream, stop func()) {
		ctx := context.Background()
		l, err := tcp.Listen(ctx, net.JoinHostPort(host, "0"))
		require.NoError(t, err)
		defer l.Close()
		c, err := tcp.Connect(ctx, l.Addrs()[0].String())
		require.NoError(t, err)
		s, err := l.Accept(ctx)
		if err != nil {
			c.Close()
			require.NoError(t, err)
		}
		if clog {
			sockettest.Clog(t, c, s)
		}
		return c, s, func() {}
	}
}

func abortTCP(s stream.ByteStream) { s.(*tcp.Stream).Abort() }

func TestConformanceTCP4(t *testing.T) {
	streamtest.TestByteStream(t, tcpPair("127.0.0.1", false), streamtest.ByteStreamOptions{
		Clogged: tcpPair("127.0.0.1", true),
		Abort:   abortTCP,
	})
}

func TestConformanceTCP6(t *testing.T) {
	requireIPv6(t)
	streamtest.TestByteStream(t, tcpPair("::1", false), streamtest.ByteStreamOptions{
		Clogged: tcpPair("::1", true),
		Abort:   abortTCP,
	})
}

// TestConformanceNetConnOverTCP runs nettest.TestConn (through the suite's
// NetConn check) on stream.NetConn over tcp.Stream, and the suite on
// FromNetConn(NetConn(tcp.Stream)), the round trip through both adapters.
func TestConformanceAdaptersOverTCP(t *testing.T) {
	wrap := func(mk streamtest.MakeByteStreams) streamtest.MakeByteStreams {
		return func(t testing.TB) (a, b stream.ByteStream, stop func()) {
			a, b, stop = mk(t)
			return stream.FromNetConn(stream.NetConn(a)), stream.FromNetConn(stream.NetConn(b)), stop
		}
	}
	streamtest.TestByteStream(t, wrap(tcpPair("127.0.0.1", false)), streamtest.ByteStreamOptions{
		Clogged: wrap(tcpPair("127.0.0.1", true)),
	})
}

func TestListenerConformance(t *testing.T) {
	mk := func(address string, opts ...tcp.Option) streamtest.MakeListener[*tcp.Stream] {
		return func(t testing.TB) (stream.Listener[*tcp.Stream], func(context.Context) (io.Closer, error), func()) {
			l, err := tcp.Listen(context.Background(), address, opts...)
			require.NoError(t, err)
			dial := func(ctx context.Context) (io.Closer, error) {
				return tcp.Connect(ctx, l.Addrs()[0].String())
			}
			return l, dial, func() {}
		}
	}
	t.Run("single", func(t *testing.T) { streamtest.TestListener(t, mk("127.0.0.1:0")) })
	t.Run("several", func(t *testing.T) {
		requireIPv6(t)
		streamtest.TestListener(t, mk("dual.test:0", staticLookup("127.0.0.1", "::1")))
	})
}

// TestReceiveAfterPeerResetIsBroken: a reset reaches Receive as ErrBroken
// wrapping ECONNRESET, told as tcp's own error.
func TestReceiveAfterPeerResetIsBroken(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)))
	require.NoError(t, s.Abort())
	_, err := c.Receive(context.Background(), make([]byte, 8))
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	require.Regexp(t, `^tcp: receive: `, err.Error())
}

// TestStreamErrorsArePrefixed: errors say tcp and the operation; io.EOF is
// returned as it is.
func TestStreamErrorsArePrefixed(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)))
	sockettest.RequireErrorsPrefixed(t, c, s, "tcp")
}

// TestStreamSteadyStateAllocatesNothing: Receive and Send with a
// background ctx, and with one reused cancellable ctx, allocate nothing.
func TestStreamSteadyStateAllocatesNothing(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)))
	sockettest.RequireSteadyStateAllocatesNothing(t, c, s)
}
