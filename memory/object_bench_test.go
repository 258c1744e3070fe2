package memory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/anyio-go/anyio/memory"
)

// benchSizes are the buffer sizes the object-stream benchmarks run with.
var benchSizes = []struct {
	name string
	size int
}{
	{"rendezvous", 0},
	{"buffer64", 64},
	{"unbounded", memory.Unbounded},
}

// chanSize is the channel capacity that stands in for a buffer size: an
// unbounded stream is compared with a channel large enough that the producer
// never waits (up to a million items). The channel benchmarks make their
// channel inside the timed region, as the stream grows its storage there.
func chanSize(size, n int) int {
	if size == memory.Unbounded {
		return min(n+1, 1<<20)
	}
	return size
}

// BenchmarkSPSC moves b.N ints from one goroutine to another through an
// object stream and through a channel, with a context that never ends
// ("background") and with a cancellable one (the channel then selects on
// ctx.Done() as well, which is what a ctx-aware channel loop costs).
func BenchmarkSPSC(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name+"/memory", func(b *testing.B) { benchObjectSPSC(b, bs.size, context.Background()) })
		b.Run(bs.name+"/memory-ctx", func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			benchObjectSPSC(b, bs.size, ctx)
		})
		b.Run(bs.name+"/chan", func(b *testing.B) { benchChanSPSC(b, chanSize(bs.size, b.N)) })
		b.Run(bs.name+"/chan-ctx", func(b *testing.B) { benchChanSelectSPSC(b, chanSize(bs.size, b.N)) })
	}
}

func benchObjectSPSC(b *testing.B, size int, ctx context.Context) {
	b.ReportAllocs()
	b.ResetTimer() // timed from the start, as the channel benchmarks are
	s, r := memory.NewObjectStream[int](size)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := r.Receive(ctx); err != nil {
				return
			}
		}
	}()
	for i := range b.N {
		if err := s.Send(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	<-done
	b.StopTimer()
	r.Close()
}

func benchChanSPSC(b *testing.B, size int) {
	b.ReportAllocs()
	b.ResetTimer()
	ch := make(chan int, size)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
		}
	}()
	for i := range b.N {
		ch <- i
	}
	close(ch)
	<-done
}

func benchChanSelectSPSC(b *testing.B, size int) {
	b.ReportAllocs()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	ch := make(chan int, size)
	done := make(chan struct{})
	go func() {
		defer close(done)
		drainSelect(ctx, ch)
	}()
	for i := range b.N {
		select {
		case ch <- i:
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
	}
	close(ch)
	<-done
}

// drainSelect receives from ch until it is closed or ctx ends, selecting
// on both for every item, as a ctx-aware channel consumer must.
func drainSelect(ctx context.Context, ch <-chan int) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// BenchmarkMPMC moves b.N ints from 4 producers to 4 consumers through a
// stream with a 64-item buffer and through a channel of the same capacity,
// plain and with every operation also selecting on a cancellable ctx.
func BenchmarkMPMC(b *testing.B) {
	const producers, consumers, size = 4, 4, 64
	mem := func(b *testing.B, ctx context.Context) {
		b.ReportAllocs()
		s, r := memory.NewObjectStream[int](size)
		var recv sync.WaitGroup
		for range consumers {
			rc, _ := r.Clone()
			recv.Go(func() {
				defer rc.Close()
				for {
					if _, err := rc.Receive(ctx); err != nil {
						return
					}
				}
			})
		}
		b.ResetTimer()
		var send sync.WaitGroup
		for p := range producers {
			sc, _ := s.Clone()
			send.Go(func() {
				defer sc.Close()
				for i := p; i < b.N; i += producers {
					if err := sc.Send(ctx, i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		s.Close()
		send.Wait()
		recv.Wait()
		b.StopTimer()
		r.Close()
	}
	b.Run("memory", func(b *testing.B) { mem(b, context.Background()) })
	b.Run("memory-ctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		mem(b, ctx)
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, size)
		var recv sync.WaitGroup
		for range consumers {
			recv.Go(func() {
				for range ch {
				}
			})
		}
		b.ResetTimer()
		var send sync.WaitGroup
		for p := range producers {
			send.Go(func() {
				for i := p; i < b.N; i += producers {
					ch <- i
				}
			})
		}
		send.Wait()
		close(ch)
		recv.Wait()
	})
	// chan-ctx: the same, each operation also selecting on ctx.Done() of a
	// cancellable context, as a ctx-aware channel loop must.
	b.Run("chan-ctx", func(b *testing.B) {
		b.ReportAllocs()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch := make(chan int, size)
		var recv sync.WaitGroup
		for range consumers {
			recv.Go(func() { drainSelect(ctx, ch) })
		}
		b.ResetTimer()
		var send sync.WaitGroup
		for p := range producers {
			send.Go(func() {
				for i := p; i < b.N; i += producers {
					select {
					case ch <- i:
					case <-ctx.Done():
						return
					}
				}
			})
		}
		send.Wait()
		close(ch)
		recv.Wait()
	})
}
