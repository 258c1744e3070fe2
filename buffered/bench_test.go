package buffered

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// cyclic replays data forever, as both an io.Reader and a byte receiver, so
// that the buffered and the standard-library readers see identical input in
// identical chunks.
type cyclic struct {
	data []byte
	off  int
}

func (c *cyclic) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func (c *cyclic) Receive(_ context.Context, p []byte) (int, error) { return c.Read(p) }

func (c *cyclic) Close() error { return nil }

// lineCorpus returns 1000 lines of 10 to 120 bytes, each ending in "\n".
func lineCorpus() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for range 1000 {
		n := 10 + rng.IntN(111)
		for range n {
			sb.WriteByte(byte('a' + rng.IntN(26)))
		}
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

// BenchmarkLines splits lines; one op is one pass over a 1000-line corpus,
// so allocs/op divided by 1000 is allocations per line. Every reader has a
// 4 KiB buffer over the same in-memory source, so they see the same chunks.
// ReceiveUntil (a new slice per line) compares with bufio.ReadBytes; the
// zero-copy forms with bufio.ReadSlice and bufio.Scanner. ReceiveUntilView
// pays for taking and releasing the receive slot on every call (two atomic
// read-modify-writes); Slot.ReceiveUntilView and SplitSeq take it once.
func BenchmarkLines(b *testing.B) {
	corpus := lineCorpus()
	delim := []byte("\n")
	const lines = 1000
	const limit = 64 << 10

	b.Run("ReceiveUntil", func(b *testing.B) {
		r := NewReceiver(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for range lines {
				if _, err := r.ReceiveUntil(bg, delim, limit); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ReceiveUntilView", func(b *testing.B) {
		r := NewReceiver(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for range lines {
				if _, err := r.ReceiveUntilView(bg, delim, limit); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Slot.ReceiveUntilView", func(b *testing.B) {
		// The receive slot taken once per pass, as a protocol layer holds
		// it for a message: the per-call reads without the per-call guard.
		r := NewReceiver(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			slot, err := r.Acquire(bg)
			if err != nil {
				b.Fatal(err)
			}
			for range lines {
				if _, err := slot.ReceiveUntilView(bg, delim, limit); err != nil {
					b.Fatal(err)
				}
			}
			slot.Release()
		}
	})
	b.Run("SplitSeq", func(b *testing.B) {
		r := NewReceiver(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range r.SplitSeq(bg, delim, limit) {
				if err != nil {
					b.Fatal(err)
				}
				if n++; n == lines {
					break
				}
			}
		}
	})
	b.Run("bufio.ReadSlice", func(b *testing.B) {
		br := bufio.NewReader(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for range lines {
				if _, err := br.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("bufio.ReadBytes", func(b *testing.B) {
		// The baseline for ReceiveUntil: each line in a new slice.
		br := bufio.NewReader(&cyclic{data: corpus})
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for range lines {
				if _, err := br.ReadBytes('\n'); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("bufio.Scanner", func(b *testing.B) {
		sc := bufio.NewScanner(&cyclic{data: corpus})
		sc.Buffer(make([]byte, 0, 4096), limit)
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for range lines {
				if !sc.Scan() {
					b.Fatal(sc.Err())
				}
			}
		}
	})
}

// BenchmarkExactly reads fixed-size records of several sizes.
func BenchmarkExactly(b *testing.B) {
	for _, size := range []int{64, 1024, 64 << 10} {
		data := make([]byte, size*16)
		b.Run(fmt.Sprintf("ReceiveExactly/%d", size), func(b *testing.B) {
			r := NewReceiver(&cyclic{data: data})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReceiveExactly(bg, size); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ReceiveExactlyView/%d", size), func(b *testing.B) {
			r := NewReceiver(&cyclic{data: data})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReceiveExactlyView(bg, size); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("bufio+io.ReadFull/%d", size), func(b *testing.B) {
			br := bufio.NewReader(&cyclic{data: data})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				p := make([]byte, size)
				if _, err := io.ReadFull(br, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
