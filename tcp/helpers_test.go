package tcp_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/tcp"
)

// ipv6Loopback reports whether [::1] can be listened on here.
func ipv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func requireIPv6(t testing.TB) {
	t.Helper()
	if !ipv6Loopback() {
		t.Skip("no IPv6 loopback on this machine")
	}
}

// closedPort returns a port on host that nothing listens on (it was just
// released).
func closedPort(t testing.TB, host string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// listen starts a tcp.Listener on address, closed when the test ends.
func listen(t testing.TB, address string, opts ...tcp.Option) *tcp.Listener {
	t.Helper()
	l, err := tcp.Listen(context.Background(), address, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// port returns the port of a listener.
func port(l *tcp.Listener) int { return l.Addrs()[0].(*net.TCPAddr).Port }

// hostPort joins host and port.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// staticLookup answers every name with addrs.
func staticLookup(addrs ...string) tcp.Option {
	ips := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		ips[i] = netip.MustParseAddr(a)
	}
	return tcp.WithLookup(func(context.Context, string) ([]netip.Addr, error) { return ips, nil })
}

// within fails the test if f takes longer than d.
func within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	require.Less(t, time.Since(start), d)
}
