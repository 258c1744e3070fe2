package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// letBlock gives a goroutine time to block in the call it was started on.
// Correctness never depends on it: a call that has not blocked yet still
// has to honour the cancellation or Close that follows.
func letBlock() { time.Sleep(20 * time.Millisecond) }

// result is the outcome of a call run in the background.
type result struct {
	data []byte
	err  error
}

func receiveAsync(ctx context.Context, c *ConnectedSocket) <-chan result {
	ch := make(chan result, 1)
	go func() {
		data, err := c.Receive(ctx)
		ch <- result{data, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(testTimeout):
		t.Fatal("call did not return")
		return result{}
	}
}

func pair(t *testing.T) (*Socket, *ConnectedSocket) {
	t.Helper()
	server := listen(t, "127.0.0.1:0")
	return server, connect(t, server.LocalAddr().String())
}

func TestCancelBlockedReceive(t *testing.T) {
	server, client := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := receiveAsync(ctx, client)
	letBlock()
	start := time.Now()
	cancel()
	r := await(t, ch)
	require.ErrorIs(t, r.err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second)

	// Still usable, nothing lost.
	tctx := testContext(t)
	require.NoError(t, server.SendTo(tctx, []byte("after"), client.LocalAddr()))
	got, err := client.Receive(tctx)
	require.NoError(t, err)
	assert.Equal(t, "after", string(got))
}

func TestReceiveDeadline(t *testing.T) {
	server, client := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := client.Receive(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, ctx.Err())

	// The deadline does not stick to the socket: an uncancellable Receive
	// after it waits for the datagram that comes later.
	ch := receiveAsync(context.Background(), client)
	time.Sleep(60 * time.Millisecond) // past the old deadline
	require.NoError(t, server.SendTo(testContext(t), []byte("late"), client.LocalAddr()))
	r := await(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, "late", string(r.data))
}

func TestAlreadyCancelledConsumesNothing(t *testing.T) {
	server, client := pair(t)
	tctx := testContext(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	require.NoError(t, server.SendTo(tctx, []byte("kept"), client.LocalAddr()))
	_, err := client.Receive(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	_, err = client.ReceiveInto(cancelled, make([]byte, 8))
	require.ErrorIs(t, err, context.Canceled)
	_, err = client.ReceiveBatch(cancelled, make([]Packet, 4))
	require.ErrorIs(t, err, context.Canceled)
	got, err := client.Receive(tctx)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got))

	require.ErrorIs(t, client.Send(cancelled, []byte("dropped")), context.Canceled)
	_, err = client.SendBatch(cancelled, []Packet{{Data: []byte("dropped")}})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, server.SendTo(cancelled, []byte("dropped"), client.LocalAddr()), context.Canceled)
	require.NoError(t, client.Send(tctx, []byte("sent")))
	p, err := server.Receive(tctx)
	require.NoError(t, err)
	assert.Equal(t, "sent", string(p.Data), "a cancelled Send sent nothing")
}

// A context reused across calls keeps one registration; cancelling it later
// still wakes the call that is blocked with it.
func TestReusedContextCancelsLaterCall(t *testing.T) {
	server, client := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 3 {
		require.NoError(t, server.SendTo(ctx, []byte{byte(i)}, client.LocalAddr()))
		got, err := client.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, got)
	}
	ch := receiveAsync(ctx, client)
	letBlock()
	cancel()
	require.ErrorIs(t, await(t, ch).err, context.Canceled)
}

// Cancelling a context that an earlier call used must not disturb a call
// now blocked with another one.
func TestStaleContextDoesNotWakeOtherCall(t *testing.T) {
	server, client := pair(t)
	old, cancelOld := context.WithCancel(context.Background())
	require.NoError(t, server.SendTo(old, []byte("1"), client.LocalAddr()))
	_, err := client.Receive(old)
	require.NoError(t, err)

	current, cancelCurrent := context.WithCancel(context.Background())
	defer cancelCurrent()
	ch := receiveAsync(current, client)
	letBlock()
	cancelOld()
	letBlock()
	select {
	case r := <-ch:
		t.Fatalf("woken by a stale context: %v", r.err)
	default:
	}
	require.NoError(t, server.SendTo(testContext(t), []byte("2"), client.LocalAddr()))
	r := await(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, "2", string(r.data))
}

// A receiver waiting for its turn behind another one can be cancelled
// without disturbing the one inside.
func TestCancelQueuedReceiver(t *testing.T) {
	server, client := pair(t)
	first := receiveAsync(context.Background(), client)
	letBlock()
	ctx, cancel := context.WithCancel(context.Background())
	second := receiveAsync(ctx, client)
	letBlock()
	cancel()
	require.ErrorIs(t, await(t, second).err, context.Canceled)

	require.NoError(t, server.SendTo(testContext(t), []byte("one"), client.LocalAddr()))
	r := await(t, first)
	require.NoError(t, r.err)
	assert.Equal(t, "one", string(r.data))
}

func TestCloseWakesBlockedCalls(t *testing.T) {
	server := listen(t, "127.0.0.1:0")
	recv := make(chan error, 1)
	go func() {
		_, err := server.Receive(context.Background())
		recv <- err
	}()
	queued := make(chan error, 1)
	go func() {
		_, _, err := server.ReceiveInto(context.Background(), make([]byte, 8))
		queued <- err
	}()
	batch := make(chan error, 1)
	go func() {
		_, err := server.ReceiveBatch(context.Background(), make([]Packet, 4))
		batch <- err
	}()
	letBlock()
	require.NoError(t, server.Close())
	for _, ch := range []chan error{recv, queued, batch} {
		select {
		case err := <-ch:
			require.ErrorIs(t, err, stream.ErrClosed)
			require.ErrorIs(t, err, net.ErrClosed)
		case <-time.After(testTimeout):
			t.Fatal("Close did not wake a blocked call")
		}
	}
}

func TestCloseReleasesPortAtOnce(t *testing.T) {
	for _, host := range loopbacks(t) {
		t.Run(host, func(t *testing.T) {
			s := listen(t, net.JoinHostPort(host, "0"))
			addr := s.LocalAddr().String()
			blocked := make(chan error, 1)
			go func() {
				_, err := s.Receive(context.Background())
				blocked <- err
			}()
			letBlock()
			require.NoError(t, s.Close())
			again, err := Listen(context.Background(), addr)
			require.NoError(t, err, "the port is free once Close returns")
			require.NoError(t, again.Close())
			require.ErrorIs(t, <-blocked, stream.ErrClosed)
		})
	}
}

func TestAfterClose(t *testing.T) {
	server, client := pair(t)
	ctx := context.Background()
	require.NoError(t, client.Close())
	require.NoError(t, client.Close(), "Close is idempotent")
	_, err := client.Receive(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)
	_, err = client.ReceiveInto(ctx, make([]byte, 1))
	require.ErrorIs(t, err, stream.ErrClosed)
	require.ErrorIs(t, client.Send(ctx, []byte("x")), stream.ErrClosed)
	_, err = client.SendBatch(ctx, []Packet{{Data: []byte("x")}})
	require.ErrorIs(t, err, stream.ErrClosed)
	_, err = client.ReceiveBatch(ctx, nil)
	require.ErrorIs(t, err, stream.ErrClosed)

	require.NoError(t, server.Close())
	_, err = server.Receive(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)
	require.ErrorIs(t, server.SendTo(ctx, nil, client.LocalAddr()), stream.ErrClosed)
}

func TestCloseWrite(t *testing.T) {
	server, client := pair(t)
	ctx := testContext(t)
	require.NoError(t, client.CloseWrite())
	require.ErrorIs(t, client.Send(ctx, []byte("x")), stream.ErrClosed)
	require.NoError(t, server.SendTo(ctx, []byte("still received"), client.LocalAddr()))
	got, err := client.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "still received", string(got))

	require.NoError(t, server.CloseWrite())
	require.ErrorIs(t, server.SendTo(ctx, []byte("x"), client.LocalAddr()), stream.ErrClosed)
	_, err = server.SendBatch(ctx, []Packet{{Data: []byte("x"), Addr: client.LocalAddr()}})
	require.ErrorIs(t, err, stream.ErrClosed)
}

// The zero-allocation path allocates nothing per call, with a background
// context and with a reused cancellable one.
// A buffer on the caller's stack stays there: receiving into it allocates
// nothing either.
func TestReceiveIntoStackBufferAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	server, client := pair(t)
	ctx := context.Background()
	msg := make([]byte, 128)
	to := client.LocalAddr()
	allocs := testing.AllocsPerRun(200, func() {
		var buf [256]byte
		if err := server.SendTo(ctx, msg, to); err != nil {
			panic(err)
		}
		if _, err := client.ReceiveInto(ctx, buf[:]); err != nil {
			panic(err)
		}
		if err := client.Send(ctx, msg); err != nil {
			panic(err)
		}
		if _, _, err := server.ReceiveInto(ctx, buf[:]); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestZeroAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	server, client := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deadlineCtx, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	buf := make([]byte, 256)
	msg := make([]byte, 128)
	to := client.LocalAddr()
	batchOut := make([]Packet, 8)
	batchIn := make([]Packet, 8)
	for i := range batchOut {
		batchOut[i] = Packet{Data: msg, Addr: to}
		batchIn[i].Data = make([]byte, 256)
	}

	for name, c := range map[string]context.Context{
		"background": context.Background(), "cancellable": ctx, "deadline": deadlineCtx,
	} {
		allocs := testing.AllocsPerRun(200, func() {
			if err := server.SendTo(c, msg, to); err != nil {
				panic(err)
			}
			if _, err := client.ReceiveInto(c, buf); err != nil {
				panic(err)
			}
			if err := client.Send(c, msg); err != nil {
				panic(err)
			}
			if _, _, err := server.ReceiveInto(c, buf); err != nil {
				panic(err)
			}
		})
		assert.Zero(t, allocs, "single ops, %s context", name)

		allocs = testing.AllocsPerRun(100, func() {
			if _, err := server.SendBatch(c, batchOut); err != nil {
				panic(err)
			}
			for got := 0; got < len(batchOut); {
				n, err := client.ReceiveBatch(c, batchIn)
				if err != nil {
					panic(err)
				}
				got += n
			}
		})
		assert.Zero(t, allocs, "batches, %s context", name)
	}
}

// A deadline that expires while the call's context is still (barely) alive
// is reported as the context's deadline, never as a bare socket timeout.
func TestDeadlineErrorMatchesContext(t *testing.T) {
	_, client := pair(t)
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_, err := client.Receive(ctx)
		require.True(t, errors.Is(err, ctx.Err()), "got %v with ctx.Err() = %v", err, ctx.Err())
		cancel()
		require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
		require.NotErrorIs(t, err, os.ErrDeadlineExceeded)
	}
}

// A deadline set on the raw socket behind the package's back does not end
// calls: their contexts alone do.
func TestStrayRawDeadlineIsIgnored(t *testing.T) {
	server, client := pair(t)
	raw, err := stream.Extra(client, stream.RawSocket)
	require.NoError(t, err)
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(-time.Second)))
	ch := receiveAsync(context.Background(), client)
	letBlock()
	require.NoError(t, server.SendTo(testContext(t), []byte("x"), client.LocalAddr()))
	r := await(t, ch)
	require.NoError(t, r.err)
	assert.Equal(t, "x", string(r.data))
}

// TestEmptyBatchesReturnAtOnce: a batch call with no entries has nothing to
// wait for, not even the turn of a call already receiving or sending.
func TestEmptyBatchesReturnAtOnce(t *testing.T) {
	server, client := pair(t)
	bg, cancelBG := context.WithCancel(context.Background())
	ch := receiveAsync(bg, client)
	letBlock()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	n, err := client.ReceiveBatch(ctx, nil)
	require.NoError(t, err, "an empty ReceiveBatch waited for the blocked Receive")
	assert.Zero(t, n)
	n, err = client.SendBatch(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	cancelBG()
	require.ErrorIs(t, await(t, ch).err, context.Canceled)

	n, err = server.ReceiveBatch(bg, []Packet{})
	require.ErrorIs(t, err, context.Canceled, "an ended ctx is still reported")
	assert.Zero(t, n)
	require.NoError(t, server.Close())
	_, err = server.ReceiveBatch(ctx, nil)
	require.ErrorIs(t, err, stream.ErrClosed)
	_, err = server.SendBatch(ctx, nil)
	require.ErrorIs(t, err, stream.ErrClosed)
}

// TestClosedBeforeArguments: after Close every send reports the closed
// socket, whatever is wrong with its arguments.
func TestClosedBeforeArguments(t *testing.T) {
	server, _ := pair(t)
	ctx := testContext(t)
	require.NoError(t, server.Close())
	require.ErrorIs(t, server.SendTo(ctx, []byte("x"), netip.AddrPort{}), stream.ErrClosed)
	_, err := server.SendBatch(ctx, []Packet{{Data: []byte("x")}})
	require.ErrorIs(t, err, stream.ErrClosed)

	other, _ := pair(t)
	require.NoError(t, other.CloseWrite())
	require.ErrorIs(t, other.SendTo(ctx, []byte("x"), netip.AddrPort{}), stream.ErrClosed)
}
