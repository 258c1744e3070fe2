package codec

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/anyio-go/anyio/internal/busy"
)

// cyclic replays data forever, as both an io.Reader and a byte stream, so
// that the codec and the hand-written baseline read identical input in
// identical chunks. What is sent is discarded.
type cyclic struct {
	sink
	data []byte
	off  int
}

func (c *cyclic) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func (c *cyclic) Receive(_ context.Context, p []byte) (int, error) { return c.Read(p) }

var frameSizes = []int{64, 1 << 10, 64 << 10}

// BenchmarkLengthPrefixedDecode receives frames of several sizes with
// LengthPrefixed and with bufio plus encoding/binary, both over the same
// in-memory source through a 4 KiB buffer, each frame in a new slice and
// its length checked against the same limit.
func BenchmarkLengthPrefixedDecode(b *testing.B) {
	for _, size := range frameSizes {
		var wire []byte
		for range 16 {
			wire = binary.BigEndian.AppendUint32(wire, uint32(size))
			wire = append(wire, make([]byte, size)...)
		}
		b.Run(fmt.Sprintf("codec/%d", size), func(b *testing.B) {
			f := LengthPrefixed(&cyclic{data: wire})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Receive(bg); err != nil {
					b.Fatal(err)
				}
			}
		})
		readFrame := func(br *bufio.Reader, h []byte) error {
			if _, err := io.ReadFull(br, h); err != nil {
				return err
			}
			n := binary.BigEndian.Uint32(h)
			if n > DefaultMaxFrameSize {
				return ErrFrameTooLarge
			}
			p := make([]byte, n)
			_, err := io.ReadFull(br, p)
			return err
		}
		b.Run(fmt.Sprintf("bufio+binary/%d", size), func(b *testing.B) {
			br := bufio.NewReader(&cyclic{data: wire})
			var h [4]byte
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := readFrame(br, h[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The same with the one-receiver-at-a-time guard every stream
		// keeps (a concurrent second call is refused, not interleaved).
		b.Run(fmt.Sprintf("bufio+binary+guard/%d", size), func(b *testing.B) {
			br := bufio.NewReader(&cyclic{data: wire})
			var h [4]byte
			var g busy.Guard
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if !g.TryAcquire() {
					b.Fatal("busy")
				}
				err := readFrame(br, h[:])
				g.Release()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// copySink is a transport that copies what it is sent, as a kernel would,
// into a scratch buffer: as a byte stream for the codec, as an io.Writer for
// the baseline.
type copySink struct {
	sink
	scratch []byte
}

func (c *copySink) Write(p []byte) (int, error) {
	if len(p) > len(c.scratch) {
		c.scratch = make([]byte, len(p))
	}
	return copy(c.scratch, p), nil
}

func (c *copySink) Send(_ context.Context, p []byte) error {
	_, err := c.Write(p)
	return err
}

// BenchmarkLengthPrefixedEncode sends frames of several sizes with
// LengthPrefixed and with bufio plus encoding/binary, one transport write
// (flush) per frame, into a transport that copies and discards them.
func BenchmarkLengthPrefixedEncode(b *testing.B) {
	for _, size := range frameSizes {
		payload := make([]byte, size)
		b.Run(fmt.Sprintf("codec/%d", size), func(b *testing.B) {
			f := LengthPrefixed(&copySink{})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := f.Send(bg, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		writeFrame := func(bw *bufio.Writer, h []byte) error {
			binary.BigEndian.PutUint32(h, uint32(len(payload)))
			bw.Write(h)
			bw.Write(payload)
			return bw.Flush()
		}
		b.Run(fmt.Sprintf("bufio+binary/%d", size), func(b *testing.B) {
			bw := bufio.NewWriter(&copySink{})
			var h [4]byte
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := writeFrame(bw, h[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The same with the one-sender-at-a-time guard every stream keeps.
		b.Run(fmt.Sprintf("bufio+binary+guard/%d", size), func(b *testing.B) {
			bw := bufio.NewWriter(&copySink{})
			var h [4]byte
			var g busy.Guard
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if !g.TryAcquire() {
					b.Fatal("busy")
				}
				err := writeFrame(bw, h[:])
				g.Release()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLinesReceive receives short lines with Lines and with
// bufio.Scanner (both produce a string per line).
func BenchmarkLinesReceive(b *testing.B) {
	corpus := []byte(strings.Repeat("a line of some sixty bytes of text, give or take a few.\r\n", 64))
	b.Run("codec", func(b *testing.B) {
		l := Lines(&cyclic{data: corpus})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Receive(bg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bufio.Scanner", func(b *testing.B) {
		sc := bufio.NewScanner(&cyclic{data: corpus})
		b.ReportAllocs()
		for b.Loop() {
			if !sc.Scan() {
				b.Fatal(sc.Err())
			}
			_ = sc.Text()
		}
	})
}
