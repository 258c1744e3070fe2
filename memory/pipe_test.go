package memory

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// receiveN receives exactly n bytes from e.
func receiveN(t *testing.T, e *BytePipeEnd, n int) []byte {
	t.Helper()
	out := make([]byte, n)
	for k := 0; k < n; {
		m, err := e.Receive(context.Background(), out[k:])
		require.NoError(t, err)
		require.Positive(t, m)
		k += m
	}
	return out
}

// sendAsyncBytes starts e.Send(ctx, p) in a goroutine.
func sendAsyncBytes(ctx context.Context, e *BytePipeEnd, p []byte) <-chan error {
	c := make(chan error, 1)
	go func() { c <- e.Send(ctx, p) }()
	return c
}

// pendingSend waits until a Send on the half h is blocked.
func pendingSend(t *testing.T, h *pipeHalf) {
	t.Helper()
	eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.sendWaiting
	})
}

// pendingReceive waits until a Receive on the half h is blocked.
func pendingReceive(t *testing.T, h *pipeHalf) {
	t.Helper()
	eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.recvWaiting
	})
}

func stillBlocked(t *testing.T, c <-chan error) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("returned early with %v", err)
	default:
	}
}

func TestNewBytePipeRejectsNegativeSize(t *testing.T) {
	assert.Panics(t, func() { NewBytePipe(-1) })
}

func TestSynchronousSendWaitsForEveryByte(t *testing.T) {
	a, b := NewBytePipe(0)
	defer a.Close()
	defer b.Close()
	sent := sendAsyncBytes(context.Background(), a, []byte("0123456789"))
	assert.Equal(t, []byte("0123"), receiveN(t, b, 4))
	stillBlocked(t, sent) // 6 bytes are still the sender's
	assert.Equal(t, []byte("456789"), receiveN(t, b, 6))
	require.NoError(t, await(t, sent))
}

func TestBufferedSendReturnsOnceBuffered(t *testing.T) {
	a, b := NewBytePipe(16)
	defer a.Close()
	defer b.Close()
	data := bytes.Repeat([]byte("abcdefghij"), 4) // 40 bytes
	sent := sendAsyncBytes(context.Background(), a, data)
	pendingSend(t, a.out) // 16 copied in, the rest waits for room
	assert.Equal(t, data[:24], receiveN(t, b, 24))
	require.NoError(t, await(t, sent), "the last 16 bytes fit, so Send must return")
	assert.Equal(t, data[24:], receiveN(t, b, 16))
}

func TestLargeSendToWaitingReceiver(t *testing.T) {
	a, b := NewBytePipe(64 << 10)
	defer a.Close()
	defer b.Close()
	data := make([]byte, directSend+1000)
	for i := range data {
		data[i] = byte(i % 251)
	}
	got := make(chan []byte, 1)
	go func() { got <- receiveN(t, b, 10) }()
	pendingReceive(t, a.out)
	// Handed over to the receiver, which takes 10 bytes: the rest fits in
	// the ring, so Send must return without another Receive.
	require.NoError(t, a.Send(context.Background(), data))
	assert.Equal(t, data[:10], await(t, got))
	assert.Equal(t, data[10:], receiveN(t, b, len(data)-10))
}

// TestReceiverGivingUpReleasesLargeSend races the end of a waiting
// Receive's context with a large Send handed over to it: whichever wins,
// the Send fits in the ring and must return, and no byte is lost.
func TestReceiverGivingUpReleasesLargeSend(t *testing.T) {
	data := make([]byte, directSend)
	for i := range data {
		data[i] = byte(i % 251)
	}
	for range 200 {
		a, b := NewBytePipe(64 << 10)
		ctx, cancel := context.WithCancel(context.Background())
		type res struct {
			p   []byte
			err error
		}
		recv := make(chan res, 1)
		go func() {
			buf := make([]byte, len(data))
			n, err := b.Receive(ctx, buf)
			recv <- res{buf[:n], err}
		}()
		pendingReceive(t, a.out)
		sent := sendAsyncBytes(context.Background(), a, data)
		cancel()
		require.NoError(t, await(t, sent))
		first := await(t, recv)
		if first.err != nil {
			require.ErrorIs(t, first.err, context.Canceled)
		}
		rest := receiveN(t, b, len(data)-len(first.p))
		require.Equal(t, data, append(first.p, rest...))
		a.Close()
		b.Close()
	}
}

func TestReceiveReturnsWhatIsThere(t *testing.T) {
	for _, size := range []int{0, 64} {
		a, b := NewBytePipe(size)
		sent := sendAsyncBytes(context.Background(), a, []byte("abc"))
		buf := make([]byte, 4096)
		n, err := b.Receive(context.Background(), buf)
		require.NoError(t, err)
		assert.Equal(t, "abc", string(buf[:n]))
		require.NoError(t, await(t, sent))
		a.Close()
		b.Close()
	}
}

func TestBytePipeZeroLengthCalls(t *testing.T) {
	a, b := NewBytePipe(0)
	n, err := b.Receive(context.Background(), nil)
	assert.Zero(t, n)
	require.NoError(t, err)
	require.NoError(t, a.Send(context.Background(), nil), "an empty Send must not wait for a receiver")
	require.NoError(t, b.Close())
	_, err = b.Receive(context.Background(), nil)
	require.ErrorIs(t, err, stream.ErrClosed)
	a.Close()
}

func TestBytePipeBusy(t *testing.T) {
	a, b := NewBytePipe(0)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	recv := make(chan error, 1)
	go func() {
		_, err := b.Receive(ctx, make([]byte, 8))
		recv <- err
	}()
	pendingReceive(t, a.out)
	_, err := b.Receive(ctx, make([]byte, 8))
	require.ErrorIs(t, err, stream.ErrBusy)
	assert.ErrorContains(t, err, "memory: receive")

	sent := sendAsyncBytes(ctx, a, make([]byte, 100)) // 8 taken, 92 left
	require.NoError(t, await(t, recv))
	pendingSend(t, a.out)
	require.ErrorIs(t, a.Send(ctx, []byte("x")), stream.ErrBusy)
	require.ErrorIs(t, a.CloseWrite(), stream.ErrBusy, "Send and CloseWrite share one guard")
	require.NoError(t, b.Send(ctx, nil), "the other direction is independent")
	receiveN(t, b, 92)
	require.NoError(t, await(t, sent))
}

func TestBytePipeCancelledReceiveLosesNothing(t *testing.T) {
	a, b := NewBytePipe(8)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := b.Receive(ctx, make([]byte, 4))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "memory: receive")

	require.NoError(t, a.Send(context.Background(), []byte("hello")))
	_, err = b.Receive(ctx, make([]byte, 4))
	require.ErrorIs(t, err, context.DeadlineExceeded, "an ended ctx must consume nothing")
	assert.Equal(t, []byte("hello"), receiveN(t, b, 5))
}

func TestBytePipeCancelledSendKeepsPrefix(t *testing.T) {
	for _, tc := range []struct {
		size       int
		early, end string // received before the cancel, and after it
	}{
		{size: 0, early: "012", end: "!"},  // the rest of a synchronous Send is withdrawn
		{size: 4, early: "", end: "0123!"}, // what was buffered stays sent
	} {
		a, b := NewBytePipe(tc.size)
		ctx, cancel := context.WithCancel(context.Background())
		p := []byte("0123456789")
		sent := sendAsyncBytes(ctx, a, p)
		assert.Equal(t, tc.early, string(receiveN(t, b, len(tc.early))))
		pendingSend(t, a.out)
		cancel()
		err := await(t, sent)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "memory: send")
		copy(p, "XXXXXXXXXX") // the pipe must not hold on to p

		next := sendAsyncBytes(context.Background(), a, []byte("!"))
		assert.Equal(t, tc.end, string(receiveN(t, b, len(tc.end))), "buffer %d", tc.size)
		require.NoError(t, await(t, next))
		a.Close()
		b.Close()
	}
}

func TestBytePipeHalfClose(t *testing.T) {
	a, b := NewBytePipe(64)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("x")))
	require.NoError(t, a.CloseWrite())
	require.NoError(t, a.CloseWrite(), "CloseWrite is idempotent")
	require.ErrorIs(t, a.Send(ctx, []byte("y")), stream.ErrClosed)
	require.ErrorIs(t, a.Send(ctx, nil), stream.ErrClosed)

	assert.Equal(t, []byte("x"), receiveN(t, b, 1))
	for range 2 {
		_, err := b.Receive(ctx, make([]byte, 1))
		require.Equal(t, io.EOF, err)
	}
	require.NoError(t, b.Send(ctx, []byte("back")), "the other direction stays open")
	assert.Equal(t, []byte("back"), receiveN(t, a, 4))
}

func TestBytePipeCloseIsGracefulForPeer(t *testing.T) {
	a, b := NewBytePipe(64)
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("y")))
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())

	assert.Equal(t, []byte("y"), receiveN(t, b, 1))
	_, err := b.Receive(ctx, make([]byte, 1))
	require.Equal(t, io.EOF, err)
	for range 2 { // sticky
		err = b.Send(ctx, []byte("z"))
		require.ErrorIs(t, err, stream.ErrBroken)
		require.ErrorContains(t, err, "memory: send")
	}
	for _, err := range []error{
		a.Send(ctx, []byte("x")),
		a.Send(ctx, nil),
		a.CloseWrite(),
		func() error { _, err := a.Receive(ctx, make([]byte, 1)); return err }(),
	} {
		require.ErrorIs(t, err, stream.ErrClosed)
	}
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Send(ctx, []byte("z")), stream.ErrClosed, "local close wins over broken")
}

func TestBytePipeCloseDiscardsUnreadData(t *testing.T) {
	a, b := NewBytePipe(64)
	defer a.Close()
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("unread")))
	require.NoError(t, b.Close())
	require.ErrorIs(t, a.Send(ctx, []byte("more")), stream.ErrBroken)
	b.in.mu.Lock()
	defer b.in.mu.Unlock()
	assert.Zero(t, b.in.n, "the closed end still buffers data")
}

func TestBytePipeCloseWakesBlockedCalls(t *testing.T) {
	a, b := NewBytePipe(0)
	defer b.Close()
	ctx := context.Background()
	recv := make(chan error, 1)
	go func() {
		_, err := a.Receive(ctx, make([]byte, 1))
		recv <- err
	}()
	sent := sendAsyncBytes(ctx, a, []byte("never read"))
	pendingReceive(t, b.out)
	pendingSend(t, a.out)
	require.NoError(t, a.Close())
	require.ErrorIs(t, await(t, recv), stream.ErrClosed)
	require.ErrorIs(t, await(t, sent), stream.ErrClosed)
	_, err := b.Receive(ctx, make([]byte, 16))
	require.Equal(t, io.EOF, err, "the withdrawn Send's bytes arrived")
}

func TestBytePipeCloseWithdrawsUnbufferedPart(t *testing.T) {
	a, b := NewBytePipe(4)
	defer b.Close()
	sent := sendAsyncBytes(context.Background(), a, []byte("0123456789"))
	pendingSend(t, a.out)
	require.NoError(t, a.Close())
	require.ErrorIs(t, await(t, sent), stream.ErrClosed)
	assert.Equal(t, []byte("0123"), receiveN(t, b, 4))
	_, err := b.Receive(context.Background(), make([]byte, 16))
	require.Equal(t, io.EOF, err)
}

func TestBytePipeCloseWakesBlockedPeerSender(t *testing.T) {
	a, b := NewBytePipe(4)
	defer a.Close()
	sent := sendAsyncBytes(context.Background(), a, make([]byte, 10))
	pendingSend(t, a.out)
	require.NoError(t, b.Close())
	require.ErrorIs(t, await(t, sent), stream.ErrBroken)
}

// TestReceiverGivingUpAsItsEndCloses: a Receive whose ctx ends while its end
// is being closed must not move a blocked peer Send's bytes into the closed
// end's ring, where they would count as sent (the Send would return nil
// instead of ErrBroken). The blocked Send is set up directly, so that the
// order of the two wake-ups is the test's, not the scheduler's.
func TestReceiverGivingUpAsItsEndCloses(t *testing.T) {
	a, b := NewBytePipe(4)
	defer b.Close()
	h := a.in
	p := []byte("0123456789")
	h.mu.Lock()
	k := h.write(p)
	h.pending, h.sendWaiting = p[k:], true // b's Send, blocked on the rest
	h.mu.Unlock()

	require.NoError(t, a.Close())
	h.giveUpReceive() // a's Receive, woken by its ctx rather than by Close
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Len(t, h.pending, len(p)-k, "bytes moved into a closed end's ring")
	assert.True(t, h.sendWaiting, "the Send was told everything went")
	require.ErrorIs(t, h.sendError(), stream.ErrBroken)
	assert.Nil(t, h.buf, "a closed reader's ring is released")
}

var errTornDown = errors.New("transport torn down")

func TestCloseWithError(t *testing.T) {
	a, b := NewBytePipe(64)
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("data")))
	require.NoError(t, a.CloseWithError(errTornDown))
	require.NoError(t, a.CloseWithError(errors.New("second")), "only the first close counts")

	assert.Equal(t, []byte("data"), receiveN(t, b, 4), "buffered bytes come first")
	for range 2 {
		_, err := b.Receive(ctx, make([]byte, 4))
		require.ErrorIs(t, err, stream.ErrBroken)
		require.ErrorIs(t, err, errTornDown)
		require.ErrorContains(t, err, "memory: receive")
	}
	err := b.Send(ctx, []byte("x"))
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, errTornDown)
	_, err = a.Receive(ctx, make([]byte, 1))
	require.ErrorIs(t, err, stream.ErrClosed)
	b.Close()
}

func TestCloseWithErrorEdges(t *testing.T) {
	ctx := context.Background()
	t.Run("nil is Close", func(t *testing.T) {
		a, b := NewBytePipe(8)
		require.NoError(t, a.CloseWithError(nil))
		_, err := b.Receive(ctx, make([]byte, 1))
		require.Equal(t, io.EOF, err)
		b.Close()
	})
	t.Run("after CloseWrite", func(t *testing.T) {
		a, b := NewBytePipe(8)
		require.NoError(t, a.CloseWrite())
		require.NoError(t, a.CloseWithError(errTornDown))
		_, err := b.Receive(ctx, make([]byte, 1))
		require.Equal(t, io.EOF, err)
		require.ErrorIs(t, b.Send(ctx, []byte("x")), errTornDown)
		b.Close()
	})
	t.Run("withdraws a blocked Send", func(t *testing.T) {
		a, b := NewBytePipe(0)
		sent := sendAsyncBytes(ctx, a, []byte("in flight"))
		pendingSend(t, a.out)
		require.NoError(t, a.CloseWithError(errTornDown))
		require.ErrorIs(t, await(t, sent), stream.ErrClosed)
		_, err := b.Receive(ctx, make([]byte, 16))
		require.ErrorIs(t, err, errTornDown)
		b.Close()
	})
}

// TestBytePipeFullDuplexStress sends random data both ways at once with
// random send and receive sizes, over a ring small enough to wrap all the
// time, over a synchronous pipe, and with sends large enough to be handed
// straight to a waiting receiver.
func TestBytePipeFullDuplexStress(t *testing.T) {
	for _, tc := range []struct{ size, maxSend int }{
		{0, 3000}, {7, 3000}, {4096, 3000}, {64 << 10, 3 * directSend},
	} {
		size := tc.size
		a, b := NewBytePipe(size)
		var wg sync.WaitGroup
		for dir, ends := range [][2]*BytePipeEnd{{a, b}, {b, a}} {
			src := make([]byte, 200_000)
			rng := rand.New(rand.NewPCG(uint64(size), uint64(dir)))
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(1, uint64(dir)))
				for p := src; len(p) > 0; {
					k := min(len(p), 1+rng.IntN(tc.maxSend))
					assert.NoError(t, ends[0].Send(context.Background(), p[:k]))
					p = p[k:]
				}
				assert.NoError(t, ends[0].CloseWrite())
			})
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(2, uint64(dir)))
				var got []byte
				for {
					buf := make([]byte, 1+rng.IntN(5000))
					n, err := ends[1].Receive(context.Background(), buf)
					if err == io.EOF {
						break
					}
					if !assert.NoError(t, err) || !assert.Positive(t, n) {
						return
					}
					got = append(got, buf[:n]...)
				}
				assert.True(t, bytes.Equal(src, got), "buffer %d: data differs", size)
			})
		}
		wg.Wait()
		a.Close()
		b.Close()
	}
}

func TestBytePipeHotPathDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	a, b := NewBytePipe(4096)
	p, q := make([]byte, 1024), make([]byte, 1024)
	allocs := testing.AllocsPerRun(1000, func() {
		_ = a.Send(ctx, p)
		_, _ = b.Receive(ctx, q)
	})
	assert.Zero(t, allocs, "buffered")
	a.Close()
	b.Close()

	a, b = NewBytePipe(0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			if _, err := b.Receive(ctx, buf); err != nil {
				return
			}
		}
	}()
	allocs = testing.AllocsPerRun(1000, func() { _ = a.Send(ctx, p) })
	assert.Zero(t, allocs, "synchronous")
	a.Close()
	<-done
	b.Close()
}
