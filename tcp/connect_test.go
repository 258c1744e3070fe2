package tcp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// connectPair connects to l at address and accepts the other end.
func connectPair(t *testing.T, l *tcp.Listener, address string, opts ...tcp.Option) (client, server *tcp.Stream) {
	t.Helper()
	ctx := context.Background()
	client, err := tcp.Connect(ctx, address, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, err = l.Accept(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { server.Close() })
	return client, server
}

func TestConnectIPv4(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)))
	sockettest.RoundTrip(t, c, s, "ping")
	sockettest.RoundTrip(t, s, c, "pong")

	remote, err := stream.Extra(c, stream.RemoteAddr)
	require.NoError(t, err)
	require.Equal(t, l.Addrs()[0].String(), remote.String())
	rport, err := stream.Extra(c, stream.RemotePort)
	require.NoError(t, err)
	require.Equal(t, port(l), rport)
	local, err := stream.Extra(s, stream.RemoteAddr)
	require.NoError(t, err)
	lport, err := stream.Extra(c, stream.LocalPort)
	require.NoError(t, err)
	require.Equal(t, local.(*net.TCPAddr).Port, lport)
	raw, err := stream.Extra(c, stream.RawSocket)
	require.NoError(t, err)
	require.IsType(t, &net.TCPConn{}, raw)
}

func TestConnectIPv6(t *testing.T) {
	requireIPv6(t)
	l := listen(t, "[::1]:0")
	c, s := connectPair(t, l, hostPort("::1", port(l)))
	sockettest.RoundTrip(t, c, s, "ping6")
	remote, err := stream.Extra(c, stream.RemoteAddr)
	require.NoError(t, err)
	require.Equal(t, "::1", remote.(*net.TCPAddr).IP.String())
}

func TestConnectResolvesServiceNames(t *testing.T) {
	// "echo" is port 7 in every services database; nothing listens there,
	// so the attempt is refused, naming the resolved port.
	_, err := tcp.Connect(context.Background(), "127.0.0.1:echo")
	require.Error(t, err)
	require.Contains(t, err.Error(), "127.0.0.1:7")
}

// TestConnectFailedAttemptStartsNextAtOnce: with IPv6 refused and IPv4
// listening, Connect does not wait the happy-eyeballs delay.
func TestConnectFailedAttemptStartsNextAtOnce(t *testing.T) {
	requireIPv6(t)
	sockettest.RequireNoFDLeak(t)
	l := listen(t, "127.0.0.1:0")
	// Make sure ::1 refuses the port the IPv4 listener has.
	if ln, err := net.Listen("tcp6", hostPort("::1", port(l))); err == nil {
		ln.Close()
	}
	var tried []string
	var mu sync.Mutex
	record := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
		mu.Lock()
		tried = append(tried, addr.Addr().String())
		mu.Unlock()
		return dial(ctx)
	})
	var c *tcp.Stream
	within(t, 2*time.Second, func() {
		var err error
		c, err = tcp.Connect(context.Background(), hostPort("dual.test", port(l)),
			staticLookup("127.0.0.1", "::1"), tcp.WithHappyEyeballsDelay(time.Hour), record)
		require.NoError(t, err)
	})
	defer c.Close()
	require.Equal(t, []string{"::1", "127.0.0.1"}, tried, "IPv6 is tried first")
	s, err := l.Accept(context.Background())
	require.NoError(t, err)
	defer s.Close()
	sockettest.RoundTrip(t, c, s, "fallback")
}

// TestConnectStartsNextAttemptAfterDelay: an attempt that hangs gets
// company after the delay; the winner is kept, the hanging attempt is
// cancelled and has returned by the time Connect does.
func TestConnectStartsNextAttemptAfterDelay(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	const delay = 50 * time.Millisecond
	var firstStart, secondStart time.Time
	var hungReturned atomic.Bool
	attempt := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
		if addr.Addr().Is6() {
			firstStart = time.Now()
			<-ctx.Done() // a SYN into the void
			hungReturned.Store(true)
			return nil, ctx.Err()
		}
		secondStart = time.Now()
		return dial(ctx)
	})
	c, err := tcp.Connect(context.Background(), hostPort("dual.test", port(l)),
		staticLookup("::1", "127.0.0.1"), tcp.WithHappyEyeballsDelay(delay), attempt)
	require.NoError(t, err)
	defer c.Close()
	require.True(t, hungReturned.Load(), "the losing attempt ended before Connect returned")
	require.GreaterOrEqual(t, secondStart.Sub(firstStart), delay)
	s, err := l.Accept(context.Background())
	require.NoError(t, err)
	defer s.Close()
	sockettest.RoundTrip(t, s, c, "winner")
}

// TestConnectClosesLateLosers: a losing attempt that connects anyway has
// its connection closed; the peer sees it end.
func TestConnectClosesLateLosers(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	loser := make(chan net.Addr, 1)
	attempt := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
		if addr.Addr().Is6() {
			<-ctx.Done()
			// Connected just as the race was decided.
			c, err := net.Dial("tcp", l.Addrs()[0].String())
			if err == nil {
				loser <- c.LocalAddr()
			} else {
				close(loser)
			}
			return c, err
		}
		return dial(ctx)
	})
	c, err := tcp.Connect(context.Background(), hostPort("dual.test", port(l)),
		staticLookup("::1", "127.0.0.1"), tcp.WithHappyEyeballsDelay(10*time.Millisecond), attempt)
	require.NoError(t, err)
	defer c.Close()
	loserAddr, ok := <-loser
	require.True(t, ok, "the late loser connected")
	for range 2 {
		s, err := l.Accept(context.Background())
		require.NoError(t, err)
		defer s.Close()
		remote := stream.ExtraOr[net.Addr](s, stream.RemoteAddr, nil)
		if remote.String() == loserAddr.String() {
			_, err := s.Receive(context.Background(), make([]byte, 1))
			require.ErrorIs(t, err, io.EOF, "the losing connection was closed")
		} else {
			sockettest.RoundTrip(t, c, s, "winner")
		}
	}
}

// TestConnectInterleavesFamilies: IPv6 first, then alternating, each
// family in the resolver's order; when every attempt fails the error joins
// them all.
func TestConnectInterleavesFamilies(t *testing.T) {
	var tried []string
	var mu sync.Mutex
	causes := map[string]error{}
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2", "192.0.2.3"} {
		causes[a] = fmt.Errorf("no route to %s", a)
	}
	attempt := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, _ func(context.Context) (net.Conn, error)) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		tried = append(tried, addr.Addr().String())
		return nil, causes[addr.Addr().String()]
	})
	_, err := tcp.Connect(context.Background(), "multi.test:80",
		staticLookup("192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2", "192.0.2.3"), attempt)
	require.Error(t, err)
	require.Equal(t, []string{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"}, tried)
	require.Contains(t, err.Error(), "multi.test:80")
	require.Contains(t, err.Error(), "all 5 attempts failed")
	for _, cause := range causes {
		require.ErrorIs(t, err, cause)
	}
}

func TestConnectAllRefusedJoinsErrors(t *testing.T) {
	requireIPv6(t)
	sockettest.RequireNoFDLeak(t)
	p := closedPort(t, "127.0.0.1")
	_, err := tcp.Connect(context.Background(), hostPort("dual.test", p), staticLookup("127.0.0.1", "::1"))
	require.Error(t, err)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.Contains(t, err.Error(), "all 2 attempts failed")
	require.Contains(t, err.Error(), hostPort("127.0.0.1", p))
	require.Contains(t, err.Error(), hostPort("::1", p))
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
}

// TestConnectCancelAbortsEveryAttempt: cancelling ctx ends every running
// attempt and Connect, promptly, with the ctx error.
func TestConnectCancelAbortsEveryAttempt(t *testing.T) {
	var started, ended atomic.Int32
	allStarted := make(chan struct{})
	attempt := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, _ func(context.Context) (net.Conn, error)) (net.Conn, error) {
		if started.Add(1) == 3 {
			close(allStarted)
		}
		<-ctx.Done()
		ended.Add(1)
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-allStarted
		cancel()
	}()
	_, err := tcp.Connect(ctx, "three.test:80", staticLookup("2001:db8::1", "192.0.2.1", "2001:db8::2"),
		tcp.WithHappyEyeballsDelay(10*time.Millisecond), attempt)
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "three.test:80")
	require.Equal(t, int32(3), ended.Load(), "every attempt ended before Connect returned")
}

func TestConnectDeadline(t *testing.T) {
	attempt := tcp.WithAttempt(func(ctx context.Context, _ netip.AddrPort, _ func(context.Context) (net.Conn, error)) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := tcp.Connect(ctx, "192.0.2.1:80", attempt)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestConnectAlreadyCancelled(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tcp.Connect(ctx, hostPort("127.0.0.1", port(l)))
	require.ErrorIs(t, err, context.Canceled)
}

func TestConnectWithLocalAddress(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	local := closedPort(t, "127.0.0.1")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)), tcp.WithLocalAddress(hostPort("127.0.0.1", local)))
	require.Equal(t, local, stream.ExtraOr(c, stream.LocalPort, 0))
	require.Equal(t, local, stream.ExtraOr(s, stream.RemotePort, 0))
}

// TestConnectLocalAddressPicksFamily: an IPv4 local address skips the
// IPv6 destinations.
func TestConnectLocalAddressPicksFamily(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	var tried []string
	attempt := tcp.WithAttempt(func(ctx context.Context, addr netip.AddrPort, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
		tried = append(tried, addr.Addr().String())
		return dial(ctx)
	})
	c, err := tcp.Connect(context.Background(), hostPort("dual.test", port(l)),
		staticLookup("::1", "127.0.0.1"), tcp.WithLocalAddress("127.0.0.1"), attempt)
	require.NoError(t, err)
	c.Close()
	require.Equal(t, []string{"127.0.0.1"}, tried)

	_, err = tcp.Connect(context.Background(), hostPort("v6only.test", port(l)),
		staticLookup("::1"), tcp.WithLocalAddress("127.0.0.1"))
	require.ErrorContains(t, err, "local address")
}

func TestConnectBadLocalAddress(t *testing.T) {
	for _, bad := range []string{"localhost:0", "127.0.0.1:x", "[::1"} {
		_, err := tcp.Connect(context.Background(), "127.0.0.1:80", tcp.WithLocalAddress(bad))
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), bad)
	}
}

// sockopt reads an integer socket option of a stream's socket.
func sockopt(t *testing.T, s *tcp.Stream, level, opt int) int {
	t.Helper()
	v, err := trySockopt(t, s, level, opt)
	require.NoError(t, err)
	return v
}

// trySockopt reads an integer socket option of a stream's socket, returning
// getsockopt's error for the caller to judge.
func trySockopt(t *testing.T, s *tcp.Stream, level, opt int) (int, error) {
	t.Helper()
	raw, err := stream.Extra(s, stream.RawSocket)
	require.NoError(t, err)
	rc, err := raw.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var v int
	var gerr error
	require.NoError(t, rc.Control(func(fd uintptr) { v, gerr = getsockoptInt(fd, level, opt) }))
	return v, gerr
}

func TestConnectSocketOptions(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	addr := hostPort("127.0.0.1", port(l))

	c, s := connectPair(t, l, addr)
	assert.NotZero(t, sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_NODELAY), "no delay by default")
	assert.NotZero(t, sockopt(t, s, syscall.IPPROTO_TCP, syscall.TCP_NODELAY), "accepted: no delay by default")

	c, _ = connectPair(t, l, addr, tcp.WithNoDelay(false), tcp.WithKeepAlive(-1))
	assert.Zero(t, sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_NODELAY))
	assert.Zero(t, sockopt(t, c, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE))
	require.NoError(t, c.SetNoDelay(true))
	assert.NotZero(t, sockopt(t, c, syscall.IPPROTO_TCP, syscall.TCP_NODELAY))

	c, _ = connectPair(t, l, addr, tcp.WithKeepAlive(42*time.Second))
	assert.NotZero(t, sockopt(t, c, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE))
	assert.Equal(t, 42*time.Second, keepAliveIdle(t, c))
}

func TestConnector(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	var conn stream.Connector[stream.ByteStream] = tcp.Connector{Address: hostPort("127.0.0.1", port(l))}
	c, err := conn.Connect(context.Background())
	require.NoError(t, err)
	defer c.Close()
	s, err := l.Accept(context.Background())
	require.NoError(t, err)
	defer s.Close()
	sockettest.RoundTrip(t, c, s, "via connector")

	c, err = tcp.Connector{}.Connect(context.Background())
	require.Error(t, err)
	require.Nil(t, c, "no typed nil inside the interface")
}

// TestAbortResetsPeer: Abort sends RST; the peer's calls fail broken.
func TestAbortResetsPeer(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("127.0.0.1", port(l)))
	require.NoError(t, c.Abort())
	_, err := s.Receive(context.Background(), make([]byte, 1))
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	require.True(t, errors.Is(c.Send(context.Background(), []byte("x")), stream.ErrClosed))
}

// TestConnectEmptyHostIsLocal: ":port" reaches a listener on this machine
// whichever loopback family it is on.
func TestConnectEmptyHostIsLocal(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, s := connectPair(t, l, hostPort("", port(l)))
	sockettest.RoundTrip(t, c, s, "local")
}
