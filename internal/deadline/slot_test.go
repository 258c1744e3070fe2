package deadline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// queued reports how many callers wait for s.
func (s *slot) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiters)
}

// waitQueued waits until n callers are queued on s.
func waitQueued(t *testing.T, s *slot, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return s.queued() == n }, 5*time.Second, time.Millisecond)
}

func TestSlotUncontended(t *testing.T) {
	var s slot
	ctx := context.Background()
	for range 3 {
		require.NoError(t, s.take(ctx, nil))
		s.release()
	}
	assert.Equal(t, int32(slotFree), s.state.Load())
}

func TestSlotServesWaitersInOrder(t *testing.T) {
	var s slot
	ctx := context.Background()
	require.NoError(t, s.take(ctx, nil))
	order := make(chan int, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if assert.NoError(t, s.take(ctx, nil)) {
				order <- i
				s.release()
			}
		})
		waitQueued(t, &s, i+1)
	}
	s.release()
	wg.Wait()
	close(order)
	var got []int
	for i := range order {
		got = append(got, i)
	}
	assert.Equal(t, []int{0, 1, 2}, got)
	assert.Equal(t, int32(slotFree), s.state.Load())
}

func TestSlotWaiterGivesUp(t *testing.T) {
	var s slot
	require.NoError(t, s.take(context.Background(), nil))

	ctx, cancel := context.WithCancel(context.Background())
	closing := make(chan struct{})
	errs := make(chan error, 2)
	go func() { errs <- s.take(ctx, nil) }()
	go func() { errs <- s.take(context.Background(), closing) }()
	waitQueued(t, &s, 2)
	cancel()
	close(closing)
	got := []error{<-errs, <-errs}
	assert.ElementsMatch(t, []any{true, true}, []any{
		got[0] == context.Canceled || got[1] == context.Canceled,
		got[0] == stream.ErrClosed || got[1] == stream.ErrClosed,
	})
	assert.Zero(t, s.queued())

	// The holder's release finds nobody and frees the slot.
	s.release()
	assert.Equal(t, int32(slotFree), s.state.Load())
	require.NoError(t, s.take(context.Background(), nil))
	s.release()
}

// A caller handed the slot just as its context ends passes the slot on,
// to the next in line, rather than keeping it or dropping it.
func TestSlotHandedWhileGivingUp(t *testing.T) {
	var s slot
	require.NoError(t, s.take(context.Background(), nil))
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- s.take(ctx, nil) }()
	waitQueued(t, &s, 1)
	second := make(chan error, 1)
	go func() { second <- s.take(context.Background(), nil) }()
	waitQueued(t, &s, 2)

	// The holder hands the slot to the first caller after it has seen
	// its context end and before it looks for itself in the queue.
	slotGiveUpHook = func() { s.release() }
	t.Cleanup(func() { slotGiveUpHook = nil })
	cancel()
	require.ErrorIs(t, <-first, context.Canceled)
	require.NoError(t, <-second, "the slot was not passed on")
	slotGiveUpHook = nil
	s.release()
	assert.Equal(t, int32(slotFree), s.state.Load())
	assert.Zero(t, s.queued())
}

func TestSlotWaiterGivesUpMidQueue(t *testing.T) {
	var s slot
	require.NoError(t, s.take(context.Background(), nil))
	ctx, cancel := context.WithCancel(context.Background())
	order := make(chan int, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		c := context.Background()
		if i == 1 {
			c = ctx
		}
		wg.Go(func() {
			if s.take(c, nil) == nil {
				order <- i
				s.release()
			}
		})
		waitQueued(t, &s, i+1)
	}
	cancel()
	waitQueued(t, &s, 2)
	s.release()
	wg.Wait()
	close(order)
	var got []int
	for i := range order {
		got = append(got, i)
	}
	assert.Equal(t, []int{0, 2}, got)
	assert.Equal(t, int32(slotFree), s.state.Load())
}

// The last waiter giving up leaves the slot as if nobody had waited: the
// holder's release is the fast one again.
func TestSlotLastWaiterGivingUpRestoresFastPath(t *testing.T) {
	var s slot
	require.NoError(t, s.take(context.Background(), nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.take(ctx, nil) }()
	waitQueued(t, &s, 1)
	assert.Equal(t, int32(slotWaiters), s.state.Load())
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, int32(slotHeld), s.state.Load())
	s.release()
	assert.Equal(t, int32(slotFree), s.state.Load())
}

func TestSlotStress(t *testing.T) {
	var s slot
	var inside, total int
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				ctx, cancel := context.WithCancel(context.Background())
				if (g+i)%7 == 0 {
					cancel()
				}
				if s.take(ctx, nil) == nil {
					inside++
					if inside != 1 {
						panic("two holders")
					}
					total++
					inside--
					s.release()
				}
				cancel()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(slotFree), s.state.Load())
	assert.Zero(t, s.queued())
	assert.Positive(t, total)
}

func BenchmarkSlot(b *testing.B) {
	b.Run("chan", func(b *testing.B) {
		ch := make(chan struct{}, 1)
		b.ReportAllocs()
		for b.Loop() {
			ch <- struct{}{}
			<-ch
		}
	})
	b.Run("slot", func(b *testing.B) {
		var s slot
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = s.take(ctx, nil)
			s.release()
		}
	})
}
