package memory

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// eventually waits for cond, which says that goroutines started by the test
// have reached the point where they block.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}

// waitingReceivers and waitingSenders wait until the stream has n blocked
// calls of that kind.
func waitingReceivers[T any](t *testing.T, r *ReceiveStream[T], n int) {
	t.Helper()
	eventually(t, func() bool { return r.Statistics().WaitingReceivers == n })
}

func waitingSenders[T any](t *testing.T, s *SendStream[T], n int) {
	t.Helper()
	eventually(t, func() bool { return s.Statistics().WaitingSenders == n })
}

// await returns the next value from c, failing the test if none comes: a
// call that should have completed is hanging.
func await[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not complete")
		panic("unreachable")
	}
}

type result[T any] struct {
	item T
	err  error
}

// receiveAsync starts r.Receive(ctx) in a goroutine and returns where its
// result will arrive.
func receiveAsync[T any](ctx context.Context, r *ReceiveStream[T]) <-chan result[T] {
	c := make(chan result[T], 1)
	go func() {
		item, err := r.Receive(ctx)
		c <- result[T]{item, err}
	}()
	return c
}

// sendAsync starts s.Send(ctx, item) in a goroutine and returns where its
// error will arrive.
func sendAsync[T any](ctx context.Context, s *SendStream[T], item T) <-chan error {
	c := make(chan error, 1)
	go func() { c <- s.Send(ctx, item) }()
	return c
}

func TestNewObjectStreamBufferSizes(t *testing.T) {
	assert.PanicsWithValue(t, "memory: invalid buffer size -2 (use Unbounded for no limit)",
		func() { NewObjectStream[int](-2) })
	for _, size := range []int{0, 1, 64, Unbounded} {
		s, r := NewObjectStream[int](size)
		assert.Equal(t, size, s.Statistics().MaxBufferSize)
		s.Close()
		r.Close()
	}
}

func TestRendezvousSendWaitsForReceiver(t *testing.T) {
	s, r := NewObjectStream[string](0)
	defer r.Close()
	defer s.Close()
	ctx := context.Background()

	require.ErrorIs(t, s.TrySend("x"), stream.ErrWouldBlock)
	sent := sendAsync(ctx, s, "a")
	waitingSenders(t, s, 1)
	select {
	case err := <-sent:
		t.Fatalf("Send returned %v before any receiver came", err)
	default:
	}
	item, err := r.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a", item)
	require.NoError(t, await(t, sent))
	assert.Zero(t, s.Statistics().BufferUsed)
}

func TestBufferKeepsOrderAndLimit(t *testing.T) {
	s, r := NewObjectStream[int](3)
	defer r.Close()
	defer s.Close()
	for i := range 3 {
		require.NoError(t, s.TrySend(i))
	}
	require.ErrorIs(t, s.TrySend(3), stream.ErrWouldBlock)
	assert.Equal(t, 3, s.Statistics().BufferUsed)
	for i := range 3 {
		item, err := r.TryReceive()
		require.NoError(t, err)
		assert.Equal(t, i, item)
	}
	_, err := r.TryReceive()
	require.ErrorIs(t, err, stream.ErrWouldBlock)
}

func TestBlockedSenderMovesIntoFreedSlot(t *testing.T) {
	s, r := NewObjectStream[int](1)
	defer r.Close()
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, 1))
	sent := sendAsync(ctx, s, 2)
	waitingSenders(t, s, 1)

	item, err := r.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, item)
	require.NoError(t, await(t, sent)) // delivered into the buffer, not to a receiver
	assert.Equal(t, Statistics{BufferUsed: 1, MaxBufferSize: 1, OpenSendStreams: 1, OpenReceiveStreams: 1},
		s.Statistics())
	item, err = r.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, item)
}

func TestReceiversAreServedFirstComeFirstServed(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	defer s.Close()
	ctx := context.Background()
	var results []<-chan result[int]
	for i := range 5 {
		results = append(results, receiveAsync(ctx, r))
		waitingReceivers(t, r, i+1)
	}
	for i := range 5 {
		require.NoError(t, s.Send(ctx, i))
	}
	for i, c := range results {
		res := await(t, c)
		require.NoError(t, res.err)
		assert.Equal(t, i, res.item, "receiver %d", i)
	}
}

func TestItemGoesToWaitingReceiverBeforeBuffer(t *testing.T) {
	s, r := NewObjectStream[int](4)
	defer r.Close()
	defer s.Close()
	got := receiveAsync(context.Background(), r)
	waitingReceivers(t, r, 1)

	require.NoError(t, s.TrySend(7))
	st := s.Statistics()
	assert.Zero(t, st.BufferUsed, "the item went into the buffer")
	assert.Zero(t, st.WaitingReceivers)
	res := await(t, got)
	require.NoError(t, res.err)
	assert.Equal(t, 7, res.item)
}

// queueDeadWaiter puts into q, as a blocked call on owner would, a waiter
// whose context has already ended and whose call has not yet noticed. That
// moment is too short to catch with real goroutines.
func queueDeadWaiter[T any](st *objectState[T], q *waitQueue[T], owner any, item T) *waiter[T] {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st.mu.Lock()
	defer st.mu.Unlock()
	w := st.block(ctx, q, owner)
	w.item = item
	return w
}

func TestReceiverWithDoneContextIsSkipped(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	defer s.Close()
	dead := queueDeadWaiter(r.st, &r.st.receivers, r, 0)
	live := receiveAsync(context.Background(), r)
	waitingReceivers(t, r, 2)

	require.NoError(t, s.TrySend(7))
	res := await(t, live)
	require.NoError(t, res.err)
	assert.Equal(t, 7, res.item)

	await(t, dead.wake) // settled, and its call woken
	assert.True(t, dead.resolved)
	assert.ErrorIs(t, dead.err, context.Canceled)
	assert.Zero(t, dead.item, "the skipped receiver was handed an item")
	assert.Zero(t, r.Statistics().WaitingReceivers)
}

func TestSenderWithDoneContextIsSkipped(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	defer s.Close()
	dead := queueDeadWaiter(s.st, &s.st.senders, s, 1)
	live := sendAsync(context.Background(), s, 2)
	waitingSenders(t, s, 2)

	item, err := r.TryReceive()
	require.NoError(t, err)
	assert.Equal(t, 2, item, "took the item of a sender that gave up")
	require.NoError(t, await(t, live))
	await(t, dead.wake)
	assert.ErrorIs(t, dead.err, context.Canceled)
	_, err = r.TryReceive()
	require.ErrorIs(t, err, stream.ErrWouldBlock)
}

// TestHandedItemSurvivesCancellation settles a blocked call and ends its
// context before the call looks, so that both cases of its select are ready:
// whichever it picks, the handed-over outcome must win.
func TestHandedItemSurvivesCancellation(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	defer s.Close()
	st := r.st
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		st.mu.Lock()
		w := st.block(ctx, &st.receivers, r)
		st.mu.Unlock()
		require.NoError(t, s.TrySend(i))
		cancel()
		item, err := st.wait(ctx, w, &st.receivers, "receive")
		require.NoError(t, err)
		require.Equal(t, i, item)

		ctx, cancel = context.WithCancel(context.Background())
		st.mu.Lock()
		w = st.block(ctx, &st.senders, s)
		w.item = i
		st.mu.Unlock()
		item, err = r.TryReceive()
		require.NoError(t, err)
		require.Equal(t, i, item)
		cancel()
		_, err = st.wait(ctx, w, &st.senders, "send")
		require.NoError(t, err, "a sender whose item was taken must report it delivered")
	}
}

func TestCancelledSendIsWithdrawn(t *testing.T) {
	for _, size := range []int{0, 1} {
		s, r := NewObjectStream[int](size)
		ctx, cancel := context.WithCancel(context.Background())
		for i := range size {
			require.NoError(t, s.TrySend(i))
		}
		sent := sendAsync(ctx, s, 99)
		waitingSenders(t, s, 1)
		cancel()
		err := await(t, sent)
		require.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "memory: send")
		assert.Zero(t, s.Statistics().WaitingSenders)

		require.NoError(t, s.Close())
		for i := range size {
			item, err := r.TryReceive()
			require.NoError(t, err)
			assert.Equal(t, i, item)
		}
		_, err = r.TryReceive()
		require.Equal(t, io.EOF, err, "the withdrawn item was delivered")
		r.Close()
	}
}

func TestCancelledReceiveConsumesNothing(t *testing.T) {
	s, r := NewObjectStream[int](1)
	defer r.Close()
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := r.Receive(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, r.Statistics().WaitingReceivers)

	require.NoError(t, s.TrySend(5))
	assert.Equal(t, 1, s.Statistics().BufferUsed, "the item went to the cancelled receiver")
}

func TestAlreadyEndedContextConsumesNothing(t *testing.T) {
	s, r := NewObjectStream[int](1)
	defer r.Close()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	require.ErrorIs(t, s.Send(ctx, 1), context.Canceled)
	assert.Zero(t, s.Statistics().BufferUsed)
	require.NoError(t, s.TrySend(2))
	_, err := r.Receive(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, s.Statistics().BufferUsed)

	// A waiting receiver is not handed an item by a cancelled Send either.
	item, err := r.TryReceive()
	require.NoError(t, err)
	require.Equal(t, 2, item)
	got := receiveAsync(context.Background(), r)
	waitingReceivers(t, r, 1)
	require.ErrorIs(t, s.Send(ctx, 3), context.Canceled)
	assert.Equal(t, 1, r.Statistics().WaitingReceivers)
	require.NoError(t, s.TrySend(4))
	assert.Equal(t, 4, await(t, got).item)
}

// TestCancellationRaceLosesNothing races Sends and Receives whose contexts
// expire at random moments: every item whose Send returned nil must be
// received exactly once, and no other.
func TestCancellationRaceLosesNothing(t *testing.T) {
	for _, size := range []int{0, 1, 4} {
		s, r := NewObjectStream[int](size)
		const n = 2000
		delivered := make(map[int]bool)
		received := make(map[int]int)
		var wg sync.WaitGroup
		wg.Go(func() {
			defer s.Close()
			for i := range n {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*time.Microsecond)
				if s.Send(ctx, i) == nil {
					delivered[i] = true
				}
				cancel()
			}
		})
		wg.Go(func() {
			for i := 0; ; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*time.Microsecond)
				item, err := r.Receive(ctx)
				cancel()
				if err == io.EOF {
					return
				}
				if err == nil {
					received[item]++
				}
			}
		})
		wg.Wait()
		r.Close()
		require.Len(t, received, len(delivered), "buffer %d", size)
		for item, count := range received {
			require.True(t, delivered[item], "item %d was received but its Send failed", item)
			require.Equal(t, 1, count, "item %d was received %d times", item, count)
		}
	}
}

func TestBufferDrainsBeforeEOF(t *testing.T) {
	s, r := NewObjectStream[int](3)
	defer r.Close()
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, 1))
	require.NoError(t, s.Send(ctx, 2))
	require.NoError(t, s.Close())
	for _, want := range []int{1, 2} {
		item, err := r.Receive(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, item)
	}
	for range 2 {
		_, err := r.Receive(ctx)
		require.Equal(t, io.EOF, err, "io.EOF must be returned unwrapped, and stay")
	}
	_, err := r.TryReceive()
	require.Equal(t, io.EOF, err)
}

func TestEOFOnceEverySendEndIsClosed(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	s2, err := s.Clone()
	require.NoError(t, err)
	ctx := context.Background()
	got1, got2 := receiveAsync(ctx, r), receiveAsync(ctx, r)
	waitingReceivers(t, r, 2)

	require.NoError(t, s.Close())
	assert.Equal(t, 2, r.Statistics().WaitingReceivers, "receivers woken while a clone is open")
	require.NoError(t, s2.Close())
	assert.Equal(t, io.EOF, await(t, got1).err)
	assert.Equal(t, io.EOF, await(t, got2).err)
}

func TestBrokenOnceEveryReceiveEndIsClosed(t *testing.T) {
	s, r := NewObjectStream[int](1)
	defer s.Close()
	r2, err := r.Clone()
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, 1))
	blocked := sendAsync(ctx, s, 2)
	waitingSenders(t, s, 1)

	require.NoError(t, r.Close())
	assert.Equal(t, 1, s.Statistics().WaitingSenders, "sender woken while a clone is open")
	require.NoError(t, r2.Close())
	err = await(t, blocked)
	require.ErrorIs(t, err, stream.ErrBroken)
	assert.ErrorContains(t, err, "memory: send")
	require.ErrorIs(t, s.Send(ctx, 3), stream.ErrBroken)
	require.ErrorIs(t, s.TrySend(3), stream.ErrBroken)
	assert.Zero(t, s.Statistics().BufferUsed, "items kept for nobody")
}

func TestClosedEndGetsErrClosed(t *testing.T) {
	s, r := NewObjectStream[int](4)
	r2, err := r.Clone()
	require.NoError(t, err)
	defer r2.Close()
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, 1))
	require.NoError(t, s.Send(ctx, 2))

	require.NoError(t, r.Close())
	_, err = r.Receive(ctx)
	require.ErrorIs(t, err, stream.ErrClosed)
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = r.TryReceive()
	require.ErrorIs(t, err, stream.ErrClosed)
	item, err := r2.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, item)

	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Send(ctx, 3), stream.ErrClosed)
	require.ErrorIs(t, s.TrySend(3), stream.ErrClosed)
	require.NoError(t, r2.Close())
	require.ErrorIs(t, s.Send(ctx, 3), stream.ErrClosed, "local close must win over broken")
}

func TestCloseWakesOnlyItsOwnReceivers(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer s.Close()
	r2, err := r.Clone()
	require.NoError(t, err)
	defer r2.Close()
	ctx := context.Background()
	mine := receiveAsync(ctx, r)
	waitingReceivers(t, r, 1)
	other := receiveAsync(ctx, r2)
	waitingReceivers(t, r, 2)

	require.NoError(t, r.Close())
	res := await(t, mine)
	require.ErrorIs(t, res.err, stream.ErrClosed)
	assert.Equal(t, 1, r2.Statistics().WaitingReceivers)
	require.NoError(t, s.TrySend(9))
	res = await(t, other)
	require.NoError(t, res.err)
	assert.Equal(t, 9, res.item)
}

func TestCloseWakesOnlyItsOwnSenders(t *testing.T) {
	s, r := NewObjectStream[int](0)
	defer r.Close()
	s2, err := s.Clone()
	require.NoError(t, err)
	defer s2.Close()
	ctx := context.Background()
	mine := sendAsync(ctx, s, 1)
	waitingSenders(t, s, 1)
	other := sendAsync(ctx, s2, 2)
	waitingSenders(t, s, 2)

	require.NoError(t, s.Close())
	require.ErrorIs(t, await(t, mine), stream.ErrClosed)
	item, err := r.TryReceive()
	require.NoError(t, err)
	assert.Equal(t, 2, item, "the item of a Send ended by Close was delivered")
	require.NoError(t, await(t, other))
}

func TestCloneCountsAndClosedClone(t *testing.T) {
	s, r := NewObjectStream[int](0)
	s2, err := s.Clone()
	require.NoError(t, err)
	r2, err := r.Clone()
	require.NoError(t, err)
	st := s.Statistics()
	assert.Equal(t, 2, st.OpenSendStreams)
	assert.Equal(t, 2, st.OpenReceiveStreams)

	for range 2 { // idempotent: counted once
		require.NoError(t, s.Close())
		require.NoError(t, r.Close())
	}
	st = s2.Statistics()
	assert.Equal(t, 1, st.OpenSendStreams)
	assert.Equal(t, 1, st.OpenReceiveStreams)

	_, err = s.Clone()
	require.ErrorIs(t, err, stream.ErrClosed)
	_, err = r.Clone()
	require.ErrorIs(t, err, stream.ErrClosed)
	s2.Close()
	r2.Close()
}

func TestStatistics(t *testing.T) {
	s, r := NewObjectStream[int](Unbounded)
	defer r.Close()
	defer s.Close()
	for i := range 3 {
		require.NoError(t, s.TrySend(i))
	}
	assert.Equal(t, Statistics{
		BufferUsed:         3,
		MaxBufferSize:      Unbounded,
		OpenSendStreams:    1,
		OpenReceiveStreams: 1,
	}, r.Statistics())
}

func TestUnboundedNeedsNoGoroutineAndShrinks(t *testing.T) {
	before := runtime.NumGoroutine()
	s, r := NewObjectStream[int](Unbounded)
	defer r.Close()
	defer s.Close()
	const burst = 10000
	for i := range burst {
		require.NoError(t, s.Send(context.Background(), i))
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "a goroutine was started")
	r.st.mu.Lock()
	peak := r.st.backlog.chunks()
	r.st.mu.Unlock()
	assert.GreaterOrEqual(t, peak*chunkLen[int](), burst)

	for i := range burst - 10 {
		item, err := r.TryReceive()
		require.NoError(t, err)
		require.Equal(t, i, item)
	}
	r.st.mu.Lock()
	after := r.st.backlog.chunks()
	r.st.mu.Unlock()
	assert.LessOrEqual(t, after, 2, "storage still sized for the burst")
	for i := burst - 10; i < burst; i++ {
		item, err := r.TryReceive()
		require.NoError(t, err)
		require.Equal(t, i, item, "order lost while shrinking")
	}
}

func TestRingWrapsAndGrowsInOrder(t *testing.T) {
	r := ring[int]{}
	next, want := 0, 0
	// Grow and wrap around repeatedly with an uneven rhythm.
	for round := range 50 {
		for range (round * 37) % 300 {
			r.push(next, 1<<20)
			next++
		}
		for range min(r.len(), (round*53)%280) {
			require.Equal(t, want, r.pop())
			want++
		}
	}
	for r.len() > 0 {
		require.Equal(t, want, r.pop())
		want++
	}
	require.Equal(t, next, want)
}

func TestChunkQueueKeepsOrder(t *testing.T) {
	var q chunkQueue[int]
	next, want := 0, 0
	// Cross chunk boundaries, empty out and start over with an uneven
	// rhythm.
	for round := range 60 {
		for range (round * 137) % 3000 {
			q.push(next)
			next++
		}
		for range min(q.len(), (round*149)%2900) {
			require.Equal(t, want, q.pop())
			want++
		}
	}
	for q.len() > 0 {
		require.Equal(t, want, q.pop())
		want++
	}
	require.Equal(t, next, want)
	assert.LessOrEqual(t, q.chunks(), 1, "an empty queue holds more than one chunk")
}

// An idle stream keeps no chunk of a large type (one item per chunk, more
// than chunkBytes).
func TestChunkQueueLetsLargeChunksGo(t *testing.T) {
	type large = [8 << 10]byte
	var q chunkQueue[large]
	q.push(large{1})
	q.push(large{2})
	assert.Equal(t, 2, q.chunks())
	assert.Equal(t, byte(1), q.pop()[0])
	assert.Equal(t, 1, q.chunks())
	assert.Equal(t, byte(2), q.pop()[0])
	assert.Zero(t, q.chunks())
	q.push(large{3})
	assert.Equal(t, byte(3), q.pop()[0])

	var small chunkQueue[int]
	small.push(1)
	small.pop()
	assert.Equal(t, 1, small.chunks(), "a small chunk is kept")
}

func TestChunkLen(t *testing.T) {
	assert.Equal(t, 512, chunkLen[int]())
	assert.Equal(t, maxChunkLen, chunkLen[struct{}]())
	assert.Equal(t, maxChunkLen, chunkLen[byte]())
	assert.Equal(t, 4, chunkLen[[1 << 10]byte]())
	assert.Equal(t, minChunkLen, chunkLen[[64 << 10]byte]())
	assert.Equal(t, 1, minChunkLen, "a large item is not stored beside empty room for more")
}

// TestRingStaysWithinLimit: a bounded stream's storage never passes the
// next power of two at or above its limit, however few items that is.
func TestRingStaysWithinLimit(t *testing.T) {
	for limit, want := range map[int]int{1: 1, 3: 4, 5: 8, 8: 8, 9: 16, 100: 128} {
		s, r := NewObjectStream[[256]byte](limit)
		for range limit {
			require.NoError(t, s.TrySend([256]byte{}))
		}
		assert.Len(t, s.st.buf.items, want, "limit %d", limit)
		require.ErrorIs(t, s.TrySend([256]byte{}), stream.ErrWouldBlock)
		for range limit {
			_, err := r.TryReceive()
			require.NoError(t, err)
		}
		s.Close()
		r.Close()
	}
}

func TestChunkQueueReusesItsStorage(t *testing.T) {
	var q chunkQueue[*int]
	burst := 4 * chunkLen[*int]()
	// A collection may reclaim the spares in between, so the burst comes
	// back a few times: a chunk must be reused, not reallocated, at least
	// once.
	reused := false
	for range 8 {
		for i := range burst {
			q.push(&i)
		}
		first := q.head // held here, so the garbage collector keeps it
		for range burst {
			q.pop()
		}
		require.LessOrEqual(t, q.chunks(), 1, "the queue did not shrink")
		for i, p := range first.items {
			require.Nil(t, p, "given-up storage keeps item %d alive", i)
		}
		for i := range burst {
			q.push(&i)
		}
		for c := q.head; c != nil; c = c.next {
			reused = reused || c == first
		}
		for range burst {
			q.pop()
		}
	}
	assert.True(t, reused, "the same burst always allocated new storage")
}

func TestChunkQueueSparesDoNotPinMemory(t *testing.T) {
	var q chunkQueue[int]
	for i := range 4 * chunkLen[int]() {
		q.push(i)
	}
	first := weak.Make(q.head)
	for q.len() > 0 {
		q.pop()
	}
	require.NotNil(t, q.spares.Value())
	require.NotSame(t, first.Value(), q.head, "the queue did not give its first chunk up")
	runtime.GC()
	assert.Nil(t, first.Value(), "the burst's storage survived a collection")
	assert.Nil(t, q.spares.Value())
}

func TestClosingTheReceiverDropsTheBacklog(t *testing.T) {
	s, r := NewObjectStream[*int](Unbounded)
	defer s.Close()
	for i := range 3 * chunkLen[*int]() {
		require.NoError(t, s.TrySend(&i))
	}
	require.NoError(t, r.Close())
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	assert.Zero(t, s.st.backlog.len())
	assert.Zero(t, s.st.backlog.chunks())
	assert.Nil(t, s.st.backlog.spares.Value())
}

func TestManyProducersManyConsumers(t *testing.T) {
	for _, size := range []int{0, 3, Unbounded} {
		s, r := NewObjectStream[int](size)
		const producers, consumers, perProducer = 4, 4, 2000
		var mu sync.Mutex
		seen := make(map[int]int)
		var wg sync.WaitGroup
		for range consumers {
			rc, err := r.Clone()
			require.NoError(t, err)
			wg.Go(func() {
				defer rc.Close()
				for {
					item, err := rc.Receive(context.Background())
					if err != nil {
						assert.Equal(t, io.EOF, err)
						return
					}
					mu.Lock()
					seen[item]++
					mu.Unlock()
				}
			})
		}
		r.Close()
		for p := range producers {
			sc, err := s.Clone()
			require.NoError(t, err)
			wg.Go(func() {
				defer sc.Close()
				for i := range perProducer {
					assert.NoError(t, sc.Send(context.Background(), p*perProducer+i))
				}
			})
		}
		s.Close()
		wg.Wait()
		require.Len(t, seen, producers*perProducer)
		for item, n := range seen {
			require.Equal(t, 1, n, "item %d", item)
		}
	}
}

func TestObjectStreamHotPathDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	s, r := NewObjectStream[int](1)
	allocs := testing.AllocsPerRun(1000, func() {
		_ = s.Send(ctx, 1)
		_, _ = r.Receive(ctx)
	})
	assert.Zero(t, allocs, "buffered Send+Receive")
	s.Close()
	r.Close()

	// A blocking handoff, which goes through a waiter.
	s, r = NewObjectStream[int](0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := r.Receive(ctx); err != nil {
				return
			}
		}
	}()
	allocs = testing.AllocsPerRun(1000, func() { _ = s.Send(ctx, 1) })
	assert.Zero(t, allocs, "rendezvous Send")
	s.Close()
	<-done
	r.Close()
}

func TestObjectStreamErrorsNameTheOperation(t *testing.T) {
	s, r := NewObjectStream[int](0)
	require.ErrorContains(t, s.TrySend(1), "memory: send: ")
	_, err := r.TryReceive()
	require.ErrorContains(t, err, "memory: receive: ")
	r.Close()
	s.Close()
	_, err = r.Receive(context.Background())
	require.ErrorContains(t, err, "memory: receive: ")
	require.True(t, errors.Is(err, stream.ErrClosed))
}
