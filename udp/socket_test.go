package udp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
)

// testTimeout bounds every wait that should end quickly, so that a bug
// fails the test instead of hanging it.
const testTimeout = 5 * time.Second

func testContext(t *testing.T) context.Context { return sockettest.Context(t, testTimeout) }

func listen(t *testing.T, address string, opts ...Option) *Socket {
	t.Helper()
	s, err := Listen(context.Background(), address, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func connect(t *testing.T, address string, opts ...Option) *ConnectedSocket {
	t.Helper()
	c, err := Connect(context.Background(), address, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// loopbacks lists the loopback hosts to run round trips on, skipping IPv6
// where ::1 cannot be bound.
func loopbacks(t *testing.T) []string {
	hosts := []string{"127.0.0.1"}
	if s, err := Listen(context.Background(), "[::1]:0"); err == nil {
		s.Close()
		hosts = append(hosts, "::1")
	} else {
		t.Logf("IPv6 loopback unavailable: %v", err)
	}
	return hosts
}

func TestRoundTrip(t *testing.T) {
	for _, host := range loopbacks(t) {
		t.Run(host, func(t *testing.T) {
			ctx := testContext(t)
			server := listen(t, net.JoinHostPort(host, "0"))
			client := connect(t, server.LocalAddr().String())
			require.Equal(t, server.LocalAddr(), client.RemoteAddr())

			require.NoError(t, client.Send(ctx, []byte("ping")))
			p, err := server.Receive(ctx)
			require.NoError(t, err)
			assert.Equal(t, "ping", string(p.Data))
			assert.Equal(t, client.LocalAddr(), p.Addr)

			require.NoError(t, server.Send(ctx, Packet{Data: []byte("pong"), Addr: p.Addr}))
			got, err := client.Receive(ctx)
			require.NoError(t, err)
			assert.Equal(t, "pong", string(got))
		})
	}
}

func TestUnconnectedToUnconnected(t *testing.T) {
	ctx := testContext(t)
	a := listen(t, "127.0.0.1:0")
	b := listen(t, "127.0.0.1:0")
	require.NoError(t, a.SendTo(ctx, []byte("to b"), b.LocalAddr()))
	buf := make([]byte, 64)
	n, from, err := b.ReceiveInto(ctx, buf)
	require.NoError(t, err)
	assert.Equal(t, "to b", string(buf[:n]))
	assert.Equal(t, a.LocalAddr(), from)
}

func TestDualStackReportsPlainIPv4(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, ":0") // dual-stack where the system has IPv6
	client := connect(t, "127.0.0.1:"+strconv.Itoa(int(server.LocalAddr().Port())))
	require.NoError(t, client.Send(ctx, []byte("x")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.True(t, p.Addr.Addr().Is4(), "got %v", p.Addr)
	assert.Equal(t, client.LocalAddr(), p.Addr)
	require.NoError(t, server.SendTo(ctx, []byte("y"), p.Addr))
	got, err := client.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "y", string(got))
}

func TestEmptyDatagram(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	require.NoError(t, client.Send(ctx, nil))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Empty(t, p.Data)
	require.NoError(t, server.SendTo(ctx, []byte{}, p.Addr))
	n, err := client.ReceiveInto(ctx, make([]byte, 8))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// An empty buffer takes a datagram whole, reporting it truncated, or an
// empty datagram without error; the next datagram is intact.
func TestReceiveIntoEmptyBuffer(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	require.NoError(t, client.Send(ctx, []byte("dropped")))
	require.NoError(t, client.Send(ctx, nil))
	require.NoError(t, client.Send(ctx, []byte("next")))

	n, from, err := server.ReceiveInto(ctx, nil)
	require.ErrorIs(t, err, ErrTruncated)
	assert.Zero(t, n)
	assert.Equal(t, client.LocalAddr(), from)
	n, _, err = server.ReceiveInto(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	buf := make([]byte, 16)
	n, _, err = server.ReceiveInto(ctx, buf)
	require.NoError(t, err)
	assert.Equal(t, "next", string(buf[:n]))
}

func TestLargeDatagrams(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	for _, size := range []int{1, 1472, 9000, 65507} {
		data := bytes.Repeat([]byte{byte(size)}, size)
		data[size-1] = 0xEE
		require.NoError(t, client.Send(ctx, data), "size %d", size)
		p, err := server.Receive(ctx)
		require.NoError(t, err, "size %d", size)
		require.Equal(t, data, p.Data, "size %d", size)
	}
	err := client.Send(ctx, make([]byte, 65508))
	require.ErrorIs(t, err, syscall.EMSGSIZE)
	// The socket is still fine afterwards.
	require.NoError(t, client.Send(ctx, []byte("after")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "after", string(p.Data))
}

func TestReceiveIntoTruncated(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	require.NoError(t, client.Send(ctx, []byte("0123456789abcdef")))
	require.NoError(t, client.Send(ctx, []byte("next")))

	buf := make([]byte, 10)
	n, from, err := server.ReceiveInto(ctx, buf)
	require.ErrorIs(t, err, ErrTruncated)
	assert.Equal(t, 10, n)
	assert.Equal(t, "0123456789", string(buf))
	assert.Equal(t, client.LocalAddr(), from)

	n, _, err = server.ReceiveInto(ctx, buf)
	require.NoError(t, err, "the rest of a truncated datagram is dropped")
	assert.Equal(t, "next", string(buf[:n]))

	require.NoError(t, server.SendTo(ctx, []byte("too long for it"), from))
	n, err = client.ReceiveInto(ctx, buf[:3])
	require.ErrorIs(t, err, ErrTruncated)
	assert.Equal(t, "too", string(buf[:n]))
}

func TestReceiveTruncatedAtMaxDatagramSize(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0", WithMaxDatagramSize(4))
	client := connect(t, server.LocalAddr().String(), WithMaxDatagramSize(5))
	require.NoError(t, client.Send(ctx, []byte("abcdefgh")))
	p, err := server.Receive(ctx)
	require.ErrorIs(t, err, ErrTruncated)
	assert.Equal(t, "abcd", string(p.Data))
	assert.Equal(t, client.LocalAddr(), p.Addr)

	require.NoError(t, server.SendTo(ctx, []byte("12345"), p.Addr))
	got, err := client.Receive(ctx)
	require.NoError(t, err, "a datagram of exactly the maximum size fits")
	assert.Equal(t, "12345", string(got))
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	_, err := Listen(ctx, "127.0.0.1:0", WithMaxDatagramSize(0))
	require.Error(t, err)
	_, err = Connect(ctx, "127.0.0.1:9", WithMaxDatagramSize(65536))
	require.Error(t, err)
	_, err = Listen(ctx, "127.0.0.1:0", WithLocalAddress("127.0.0.1:0"))
	require.Error(t, err)
	_, err = Listen(ctx, "127.0.0.1") // no port
	require.Error(t, err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Listen(cancelled, "127.0.0.1:0")
	require.ErrorIs(t, err, context.Canceled)
	_, err = Connect(cancelled, "127.0.0.1:9")
	require.ErrorIs(t, err, context.Canceled)
}

func TestWithLocalAddress(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	// Find a free port, then bind the client to it.
	probe := listen(t, "127.0.0.1:0")
	local := probe.LocalAddr()
	require.NoError(t, probe.Close())

	client := connect(t, server.LocalAddr().String(), WithLocalAddress(local.String()))
	assert.Equal(t, local, client.LocalAddr())
	require.NoError(t, client.Send(ctx, []byte("x")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, local, p.Addr)

	named := connect(t, server.LocalAddr().String(), WithLocalAddress("localhost:0"))
	assert.True(t, named.LocalAddr().Addr().IsLoopback())
	_, err = Connect(ctx, server.LocalAddr().String(), WithLocalAddress("no port"))
	require.Error(t, err)
}

func TestWithReusePort(t *testing.T) {
	a := listen(t, "127.0.0.1:0", WithReusePort())
	b := listen(t, a.LocalAddr().String(), WithReusePort())
	assert.Equal(t, a.LocalAddr(), b.LocalAddr())
	_, err := Listen(context.Background(), a.LocalAddr().String())
	require.Error(t, err, "binding a taken port without the option fails")

	c := connect(t, a.LocalAddr().String(), WithReusePort(), WithLocalAddress(a.LocalAddr().String()))
	assert.Equal(t, a.LocalAddr(), c.LocalAddr())
}

func TestAttributes(t *testing.T) {
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())

	port := int(server.LocalAddr().Port())
	assert.Equal(t, port, stream.ExtraOr(server, stream.LocalPort, 0))
	la, err := stream.Extra(server, stream.LocalAddr)
	require.NoError(t, err)
	assert.Equal(t, server.LocalAddr().String(), la.String())
	raw, err := stream.Extra(server, stream.RawSocket)
	require.NoError(t, err)
	assert.IsType(t, &net.UDPConn{}, raw)
	_, err = stream.Extra(server, stream.RemoteAddr)
	require.ErrorIs(t, err, stream.ErrAttributeNotFound)

	assert.Equal(t, port, stream.ExtraOr(client, stream.RemotePort, 0))
	assert.Equal(t, int(client.LocalAddr().Port()), stream.ExtraOr(client, stream.LocalPort, 0))
	ra, err := stream.Extra(client, stream.RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, server.LocalAddr().String(), ra.String())
	_, err = stream.Extra(client, stream.RawSocket)
	require.NoError(t, err)
}

func TestConnectionRefused(t *testing.T) {
	ctx := testContext(t)
	closed := listen(t, "127.0.0.1:0")
	addr := closed.LocalAddr()
	require.NoError(t, closed.Close())

	client := connect(t, addr.String())
	require.NoError(t, client.Send(ctx, []byte("anyone?")))
	_, err := client.Receive(ctx)
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	// The error reported one event; the socket works once the peer is back.
	server := listen(t, addr.String())
	require.NoError(t, client.Send(ctx, []byte("back")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "back", string(p.Data))
}

// A batch refused by an ICMP error reports how many datagrams went out
// before it: never a negative count.
func TestSendBatchRefusedCountsWhatWent(t *testing.T) {
	ctx := testContext(t)
	closed := listen(t, "127.0.0.1:0")
	addr := closed.LocalAddr()
	require.NoError(t, closed.Close())

	client := connect(t, addr.String())
	batch := []Packet{{Data: []byte("a")}, {Data: []byte("b")}}
	// Each batch provokes a port-unreachable that fails a later call.
	for range 1000 {
		n, err := client.SendBatch(ctx, batch)
		require.GreaterOrEqual(t, n, 0)
		require.LessOrEqual(t, n, len(batch))
		if err != nil {
			require.ErrorIs(t, err, stream.ErrBroken)
			require.ErrorIs(t, err, syscall.ECONNREFUSED)
			return
		}
	}
	t.Fatal("no batch was refused")
}

func TestConcurrentReceiversEachGetDistinctDatagrams(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	const receivers, total, window = 4, 200, 25

	var mu sync.Mutex
	seen := map[string]int{}
	arrived := make(chan struct{}, total)
	var wg sync.WaitGroup
	for range receivers {
		wg.Go(func() {
			for {
				p, err := server.Receive(ctx)
				if err != nil {
					assert.ErrorIs(t, err, stream.ErrClosed)
					return
				}
				mu.Lock()
				seen[string(p.Data)]++
				mu.Unlock()
				arrived <- struct{}{}
			}
		})
	}
	// Send in windows, waiting for each to arrive, so that the socket
	// buffer never overflows.
	for i := 0; i < total; i += window {
		for j := i; j < i+window; j++ {
			require.NoError(t, client.Send(ctx, []byte(strconv.Itoa(j))))
		}
		for range window {
			select {
			case <-arrived:
			case <-ctx.Done():
				t.Fatal("datagrams did not arrive")
			}
		}
	}
	require.NoError(t, server.Close())
	wg.Wait()
	require.Len(t, seen, total)
	for k, v := range seen {
		require.Equal(t, 1, v, "datagram %s delivered %d times", k, v)
	}
}

func TestConcurrentSenders(t *testing.T) {
	ctx := testContext(t)
	server := listen(t, "127.0.0.1:0")
	client := connect(t, server.LocalAddr().String())
	const senders, each = 4, 25
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				msg := []byte{byte(s), byte(i)}
				if s%2 == 0 {
					assert.NoError(t, client.Send(ctx, msg))
				} else {
					assert.NoError(t, server.SendTo(ctx, append(msg, 'u'), client.LocalAddr()))
				}
			}
		})
	}
	counts := map[int]int{}
	for range senders * each / 2 {
		p, err := server.Receive(ctx)
		require.NoError(t, err)
		require.Len(t, p.Data, 2)
		counts[int(p.Data[0])]++
		got, err := client.Receive(ctx)
		require.NoError(t, err)
		require.Len(t, got, 3)
		counts[int(got[0])]++
	}
	wg.Wait()
	for s := range senders {
		assert.Equal(t, each, counts[s])
	}
}

func TestInvalidDestination(t *testing.T) {
	ctx := testContext(t)
	s := listen(t, "127.0.0.1:0")
	require.Error(t, s.SendTo(ctx, []byte("x"), netip.AddrPort{}))
	require.Error(t, s.Send(ctx, Packet{Data: []byte("x")}))
}

func TestErrorsSayWhichOperation(t *testing.T) {
	s := listen(t, "127.0.0.1:0")
	require.NoError(t, s.Close())
	_, err := s.Receive(context.Background())
	require.ErrorContains(t, err, "udp: receive")
	err = s.SendTo(context.Background(), nil, s.LocalAddr())
	require.ErrorContains(t, err, "udp: send")
	require.True(t, errors.Is(err, net.ErrClosed))
}
