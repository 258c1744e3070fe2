package tcp_test

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// TestListenEmptyHostIsDualStack: ":0" takes IPv4 and IPv6 connections on
// one socket.
func TestListenEmptyHostIsDualStack(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	l := listen(t, ":0")
	require.Len(t, l.Addrs(), 1)
	hosts := []string{"127.0.0.1"}
	if ipv6Loopback() {
		hosts = append(hosts, "::1")
	}
	for _, h := range hosts {
		c, s := connectPair(t, l, hostPort(h, port(l)))
		sockettest.RoundTrip(t, c, s, "to "+h)
	}
}

// TestListenNameBindsEveryAddress: a name with two addresses is listened
// on at both, with one port, and Accept takes connections from either.
func TestListenNameBindsEveryAddress(t *testing.T) {
	requireIPv6(t)
	sockettest.RequireNoFDLeak(t)
	l := listen(t, "dual.test:0", staticLookup("127.0.0.1", "::1"))
	addrs := l.Addrs()
	require.Len(t, addrs, 2)
	require.Equal(t, "127.0.0.1", addrs[0].(*net.TCPAddr).IP.String())
	require.Equal(t, "::1", addrs[1].(*net.TCPAddr).IP.String())
	require.Equal(t, addrs[0].(*net.TCPAddr).Port, addrs[1].(*net.TCPAddr).Port)
	require.Equal(t, addrs[0], stream.ExtraOr[net.Addr](l, stream.LocalAddr, nil))
	require.Equal(t, port(l), stream.ExtraOr(l, stream.LocalPort, 0))
	for _, h := range []string{"::1", "127.0.0.1", "::1"} {
		c, s := connectPair(t, l, hostPort(h, port(l)))
		sockettest.RoundTrip(t, c, s, "to "+h)
		require.Equal(t, h, stream.ExtraOr[net.Addr](s, stream.LocalAddr, nil).(*net.TCPAddr).IP.String())
	}
}

// TestListenLocalhost: the real resolver's "localhost" works whatever it
// answers (here: 127.0.0.1 only).
func TestListenLocalhost(t *testing.T) {
	l := listen(t, "localhost:0")
	c, s := connectPair(t, l, hostPort("localhost", port(l)))
	sockettest.RoundTrip(t, c, s, "localhost")
}

func TestListenPortInUse(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	sockettest.RequireNoFDLeak(t)
	addr := hostPort("127.0.0.1", port(l))
	_, err := tcp.Listen(context.Background(), addr)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Contains(t, err.Error(), addr)
	require.Contains(t, err.Error(), "address already in use")
}

// TestListenPortInUseOnOneOfSeveral: when one address of a name is taken,
// Listen fails and releases the ones it had bound.
func TestListenPortInUseOnOneOfSeveral(t *testing.T) {
	requireIPv6(t)
	taken, err := net.Listen("tcp6", "[::1]:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	p := taken.Addr().(*net.TCPAddr).Port
	sockettest.RequireNoFDLeak(t)
	_, err = tcp.Listen(context.Background(), hostPort("dual.test", p), staticLookup("127.0.0.1", "::1"))
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Contains(t, err.Error(), hostPort("::1", p))
	// The IPv4 bind was undone: the port is free there.
	ln, err := net.Listen("tcp4", hostPort("127.0.0.1", p))
	require.NoError(t, err)
	ln.Close()
}

func TestListenReusePort(t *testing.T) {
	l1 := listen(t, "127.0.0.1:0", tcp.WithReusePort())
	addr := hostPort("127.0.0.1", port(l1))
	l2 := listen(t, addr, tcp.WithReusePort())
	require.Equal(t, l1.Addrs()[0].String(), l2.Addrs()[0].String())
	c, err := tcp.Connect(context.Background(), addr)
	require.NoError(t, err)
	defer c.Close()
}

func TestListenBadAddresses(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1", "missing port"},
		{"127.0.0.1:99999", "invalid port"},
		{"127.0.0.1:nosuchservice", "nosuchservice"},
		{"nosuch.invalid:0", "no such host"},
		{"192.0.2.1:0", "assign requested address"},
	} {
		_, err := tcp.Listen(context.Background(), tc.addr)
		require.Error(t, err, tc.addr)
		require.Contains(t, err.Error(), "tcp: listen "+tc.addr)
		require.Contains(t, err.Error(), tc.want)
	}
}

// TestAcceptCancel: a cancelled Accept returns the ctx error promptly, and
// the next Accept is not disturbed by the cancellation.
func TestAcceptCancel(t *testing.T) {
	for _, name := range []string{"single", "several"} {
		t.Run(name, func(t *testing.T) {
			l := listenKind(t, name)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := l.Accept(ctx)
			require.ErrorIs(t, err, context.Canceled)
			require.Contains(t, err.Error(), "tcp: accept")

			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			_, err = l.Accept(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)

			c, err := tcp.Connect(context.Background(), hostPort("127.0.0.1", port(l)))
			require.NoError(t, err)
			defer c.Close()
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			s, err := l.Accept(ctx)
			require.NoError(t, err)
			defer s.Close()
			sockettest.RoundTrip(t, c, s, "after cancel")
		})
	}
}

// listenKind makes a listener on one address, or on two behind one
// Listener.
func listenKind(t *testing.T, kind string) *tcp.Listener {
	if kind == "single" {
		return listen(t, "127.0.0.1:0")
	}
	requireIPv6(t)
	return listen(t, "dual.test:0", staticLookup("127.0.0.1", "::1"))
}

func TestAcceptAlreadyCancelled(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	c, err := tcp.Connect(context.Background(), hostPort("127.0.0.1", port(l)))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, context.Canceled)
	s, err := l.Accept(context.Background())
	require.NoError(t, err, "the pending connection is still there")
	s.Close()
}

// TestAcceptConcurrent: callers take turns; each gets its own connection.
func TestAcceptConcurrent(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	const n = 4
	got := make(chan *tcp.Stream, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := l.Accept(context.Background())
			if err != nil {
				errs <- err
				return
			}
			got <- s
		}()
	}
	for range n {
		c, err := tcp.Connect(context.Background(), hostPort("127.0.0.1", port(l)))
		require.NoError(t, err)
		defer c.Close()
	}
	for range n {
		select {
		case s := <-got:
			s.Close()
		case err := <-errs:
			t.Fatal(err)
		}
	}
}

// TestCloseWakesAccept: Close ends blocked Accepts with ErrClosed, and
// later ones fail the same way at once.
func TestCloseWakesAccept(t *testing.T) {
	for _, name := range []string{"single", "several"} {
		t.Run(name, func(t *testing.T) {
			l := listenKind(t, name)
			errs := make(chan error, 2)
			for range 2 {
				go func() {
					_, err := l.Accept(context.Background())
					errs <- err
				}()
			}
			time.Sleep(20 * time.Millisecond) // let both block
			require.NoError(t, l.Close())
			for range 2 {
				err := <-errs
				require.ErrorIs(t, err, stream.ErrClosed)
				require.ErrorIs(t, err, net.ErrClosed)
			}
			_, err := l.Accept(context.Background())
			require.ErrorIs(t, err, stream.ErrClosed)
			require.NoError(t, l.Close(), "idempotent")
		})
	}
}

// TestCloseReleasesPorts: after Close the addresses can be bound again.
func TestCloseReleasesPorts(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addrs()[0].String()
	require.NoError(t, l.Close())
	l, err = tcp.Listen(context.Background(), addr)
	require.NoError(t, err)
	require.NoError(t, l.Close())
}

func TestListenAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tcp.Listen(ctx, "127.0.0.1:0")
	require.True(t, errors.Is(err, context.Canceled))
}

// TestListenRetriesTakenEphemeralPort: with port 0 and several addresses,
// a port the first bind got but another address cannot have makes Listen
// start over, releasing what it had bound.
func TestListenRetriesTakenEphemeralPort(t *testing.T) {
	requireIPv6(t)
	sockettest.RequireNoFDLeak(t)
	var binds []string
	clashes := 2
	bind := tcp.WithBind(func(network, addr string, listen func() (net.Listener, error)) (net.Listener, error) {
		binds = append(binds, network+" "+addr)
		if network == "tcp6" && clashes > 0 {
			clashes--
			return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		return listen()
	})
	l, err := tcp.Listen(context.Background(), "dual.test:0", staticLookup("127.0.0.1", "::1"), bind)
	require.NoError(t, err)
	defer l.Close()
	require.Len(t, binds, 6, "three tries of two binds: %v", binds)
	for i := 0; i < 6; i += 2 {
		require.Equal(t, "tcp4 127.0.0.1:0", binds[i], "each try starts from port 0")
	}
	require.Len(t, l.Addrs(), 2)
	require.Equal(t, port(l), l.Addrs()[1].(*net.TCPAddr).Port)

	// A fixed port is not retried.
	binds, clashes = nil, 1
	_, err = tcp.Listen(context.Background(), hostPort("dual.test", closedPort(t, "127.0.0.1")), staticLookup("127.0.0.1", "::1"), bind)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Len(t, binds, 2)

	// Nor is a clash forever.
	binds, clashes = nil, 100
	_, err = tcp.Listen(context.Background(), "dual.test:0", staticLookup("127.0.0.1", "::1"), bind)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Len(t, binds, 10, "five tries")
}
