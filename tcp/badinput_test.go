package tcp_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/tcp"
)

// TestConnectBadInput: each bad address fails fast with an error that names
// it and says what was wrong, leaving no goroutine or descriptor behind.
func TestConnectBadInput(t *testing.T) {
	refused := hostPort("127.0.0.1", closedPort(t, "127.0.0.1"))
	for _, tc := range []struct {
		name, addr string
		want       []string
		is         error
	}{
		{"refused", refused, []string{refused, "connection refused"}, syscall.ECONNREFUSED},
		{"missing port", "127.0.0.1", []string{"missing port in address"}, nil},
		{"unclosed bracket", "[::1:80", []string{"missing ']' in address"}, nil},
		{"port out of range", "127.0.0.1:70000", []string{"invalid port", "70000"}, nil},
		{"unknown service", "127.0.0.1:nosuchservice", []string{"nosuchservice", "unknown port"}, nil},
		{"no port", "127.0.0.1:", []string{"no port"}, nil},
		{"unknown host", "nosuch.invalid:80", []string{"nosuch.invalid", "no such host"}, nil},
		{"unknown host, absolute", "NoSuch.Invalid.:80", []string{"no such host"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sockettest.RequireNoFDLeak(t)
			defer goleak.VerifyNone(t)
			start := time.Now()
			_, err := tcp.Connect(context.Background(), tc.addr)
			require.Less(t, time.Since(start), time.Second)
			require.Error(t, err)
			require.Contains(t, err.Error(), "tcp: connect "+tc.addr+": ")
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}

// TestUnknownHostIsDNSError: an unknown host is a *net.DNSError saying
// not found, as the net package reports it.
func TestUnknownHostIsDNSError(t *testing.T) {
	_, err := tcp.Connect(context.Background(), "nosuch.invalid:80")
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	require.True(t, dnsErr.IsNotFound)
	require.Equal(t, "nosuch.invalid", dnsErr.Name)
}

// TestListenBadInputLeavesNothing: failed Listens leave no goroutine or
// descriptor behind.
func TestListenBadInputLeavesNothing(t *testing.T) {
	taken := listen(t, "127.0.0.1:0")
	sockettest.RequireNoFDLeak(t)
	defer goleak.VerifyNone(t)
	for _, addr := range []string{taken.Addrs()[0].String(), "127.0.0.1", "nosuch.invalid:0", "[::1:0"} {
		_, err := tcp.Listen(context.Background(), addr)
		require.ErrorContains(t, err, "tcp: listen "+addr+": ")
	}
}
