package memory_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/anyio-go/anyio/memory"
)

// BenchmarkBytePipe streams b.N sends of 4 KiB and of 64 KiB from one
// goroutine to another, which receives into a 64 KiB slice: through a byte
// pipe with a 64 KiB buffer, a synchronous byte pipe, io.Pipe and net.Pipe.
func BenchmarkBytePipe(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"4KiB", 4 << 10}, {"64KiB", 64 << 10}} {
		b.Run(size.name+"/memory", func(b *testing.B) {
			x, y := memory.NewBytePipe(64 << 10)
			benchBytes(b, size.n, pipeWriter{x}, pipeReader{y})
		})
		b.Run(size.name+"/memory-sync", func(b *testing.B) {
			x, y := memory.NewBytePipe(0)
			benchBytes(b, size.n, pipeWriter{x}, pipeReader{y})
		})
		b.Run(size.name+"/io.Pipe", func(b *testing.B) {
			r, w := io.Pipe()
			benchBytes(b, size.n, w, r)
		})
		b.Run(size.name+"/net.Pipe", func(b *testing.B) {
			x, y := net.Pipe()
			benchBytes(b, size.n, x, y)
		})
	}
}

// pipeWriter and pipeReader give the byte pipe the io shape of the
// baselines, with a context that never ends.
type pipeWriter struct{ e *memory.BytePipeEnd }

func (w pipeWriter) Write(p []byte) (int, error) {
	if err := w.e.Send(context.Background(), p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w pipeWriter) Close() error { return w.e.Close() }

type pipeReader struct{ e *memory.BytePipeEnd }

func (r pipeReader) Read(p []byte) (int, error) { return r.e.Receive(context.Background(), p) }

func (r pipeReader) Close() error { return r.e.Close() }

func benchBytes(b *testing.B, chunk int, w io.WriteCloser, r io.ReadCloser) {
	b.ReportAllocs()
	b.SetBytes(int64(chunk))
	src := make([]byte, chunk)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		total := int64(chunk) * int64(b.N)
		for total > 0 {
			n, err := r.Read(buf)
			if err != nil {
				done <- err
				return
			}
			total -= int64(n)
		}
		done <- nil
	}()
	b.ResetTimer()
	for range b.N {
		if _, err := w.Write(src); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	w.Close()
	r.Close()
}
