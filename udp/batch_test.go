package udp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiveAll calls ReceiveBatch until want datagrams arrived and returns
// them in order, along with how many calls it took.
func receiveAll(t *testing.T, ctx context.Context, rb func(context.Context, []Packet) (int, error), want, bufSize int) ([]Packet, int) {
	t.Helper()
	var got []Packet
	calls := 0
	for len(got) < want {
		ps := make([]Packet, want-len(got))
		for i := range ps {
			ps[i].Data = make([]byte, 0, bufSize)
		}
		n, err := rb(ctx, ps)
		require.NoError(t, err)
		require.Positive(t, n)
		got = append(got, ps[:n]...)
		calls++
	}
	return got, calls
}

func packets(n int, to netip.AddrPort) []Packet {
	ps := make([]Packet, n)
	for i := range ps {
		ps[i] = Packet{Data: fmt.Appendf(nil, "packet %d", i), Addr: to}
	}
	return ps
}

func testBatch(t *testing.T) {
	for _, host := range loopbacks(t) {
		t.Run(host, func(t *testing.T) {
			ctx := testContext(t)
			server := listen(t, net.JoinHostPort(host, "0"))
			client := connect(t, server.LocalAddr().String())

			out := packets(64, netip.AddrPort{})
			n, err := client.SendBatch(ctx, out)
			require.NoError(t, err)
			require.Equal(t, 64, n, "64 packets in one call")

			got, calls := receiveAll(t, ctx, server.ReceiveBatch, 64, 64)
			t.Logf("64 datagrams in %d ReceiveBatch calls", calls)
			for i, p := range got {
				require.Equal(t, string(out[i].Data), string(p.Data))
				require.Equal(t, client.LocalAddr(), p.Addr)
			}

			// Echo them back from the unconnected side, addressed one by one.
			n, err = server.SendBatch(ctx, got)
			require.NoError(t, err)
			require.Equal(t, 64, n)
			back, _ := receiveAll(t, ctx, client.ReceiveBatch, 64, 64)
			for i, p := range back {
				require.Equal(t, string(out[i].Data), string(p.Data))
				require.Equal(t, server.LocalAddr(), p.Addr)
			}
		})
	}
}

func TestBatch(t *testing.T) { testBatch(t) }

// TestBatchFallback runs the portable loops used where the system has no
// recvmmsg/sendmmsg.
func TestBatchFallback(t *testing.T) {
	useLoops(t, true)
	testBatch(t)
}

func TestBatchToSeveralPeers(t *testing.T) {
	ctx := testContext(t)
	sender := listen(t, "127.0.0.1:0")
	a := listen(t, "127.0.0.1:0")
	b := listen(t, "127.0.0.1:0")
	out := []Packet{
		{Data: []byte("a1"), Addr: a.LocalAddr()},
		{Data: []byte("b1"), Addr: b.LocalAddr()},
		{Data: []byte("a2"), Addr: a.LocalAddr()},
	}
	n, err := sender.SendBatch(ctx, out)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	got, _ := receiveAll(t, ctx, a.ReceiveBatch, 2, 16)
	assert.Equal(t, "a1", string(got[0].Data))
	assert.Equal(t, "a2", string(got[1].Data))
	got, _ = receiveAll(t, ctx, b.ReceiveBatch, 1, 16)
	assert.Equal(t, "b1", string(got[0].Data))
	assert.Equal(t, sender.LocalAddr(), got[0].Addr)
}

func TestBatchTruncation(t *testing.T) {
	for _, loop := range []bool{false, true} {
		t.Run(fmt.Sprint("loop=", loop), func(t *testing.T) {
			useLoops(t, loop)
			ctx := testContext(t)
			server, client := pair(t)
			_, err := client.SendBatch(ctx, []Packet{{Data: []byte("0123456789")}, {Data: nil}})
			require.NoError(t, err)

			ps := []Packet{{Data: make([]byte, 3, 4)}, {Data: nil}}
			n, err := server.ReceiveBatch(ctx, ps)
			require.ErrorIs(t, err, ErrTruncated)
			require.ErrorContains(t, err, "packet 0")
			require.GreaterOrEqual(t, n, 1)
			assert.Equal(t, "0123", string(ps[0].Data), "the bytes that fit are kept")
			if n == 1 {
				n, err = server.ReceiveBatch(ctx, ps[1:])
				require.NoError(t, err)
				require.Equal(t, 1, n)
			}
			assert.Empty(t, ps[1].Data, "an empty datagram fits a buffer without capacity")
			assert.Equal(t, client.LocalAddr(), ps[1].Addr)
		})
	}
}

func TestBatchEdges(t *testing.T) {
	ctx := testContext(t)
	server, client := pair(t)
	n, err := server.ReceiveBatch(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n, "an empty batch returns at once")
	n, err = client.SendBatch(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = server.SendBatch(ctx, []Packet{{Data: []byte("x")}})
	require.ErrorContains(t, err, "invalid destination")

	// Batches beyond the system's per-call cap go out in several calls.
	big := packets(maxBatch+10, netip.AddrPort{})
	for i := range big {
		big[i].Data = big[i].Data[:1]
	}
	// Nothing reads them: a full receive buffer drops datagrams, it never
	// blocks the sender.
	n, err = client.SendBatch(ctx, big)
	require.NoError(t, err)
	require.Equal(t, len(big), n)
}

func TestCancelBlockedReceiveBatch(t *testing.T) {
	_, client := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := client.ReceiveBatch(ctx, make([]Packet, 8))
		done <- err
	}()
	letBlock()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-testContext(t).Done():
		t.Fatal("ReceiveBatch was not cancelled")
	}
}
