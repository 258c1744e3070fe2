package busy_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/busy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGuardIsExclusiveAndNotSticky(t *testing.T) {
	var g busy.Guard
	require.True(t, g.TryAcquire(), "a zero Guard is free")
	require.False(t, g.TryAcquire(), "a held Guard refuses a second holder")
	g.Release()
	require.True(t, g.TryAcquire(), "a released Guard can be taken again")
	g.Release()
}

func TestGuardAdmitsOneHolderAtATime(t *testing.T) {
	var (
		g       busy.Guard
		holders atomic.Int32
		wg      sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if !g.TryAcquire() {
					continue
				}
				assert.Equal(t, int32(1), holders.Add(1), "two goroutines held the guard at once")
				holders.Add(-1)
				g.Release()
			}
		})
	}
	wg.Wait()
}

func BenchmarkGuard(b *testing.B) {
	b.ReportAllocs()
	b.Run("guard", func(b *testing.B) {
		b.ReportAllocs()
		var g busy.Guard
		for b.Loop() {
			if g.TryAcquire() {
				g.Release()
			}
		}
	})
	b.Run("mutex", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			if mu.TryLock() {
				mu.Unlock()
			}
		}
	})
}
