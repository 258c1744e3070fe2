package text_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/text"
)

// benchBlock is how many source bytes one benchmark operation decodes.
const benchBlock = 64 << 10

// cycleSource is an endless ByteReceiver serving data over and over, in
// reads of at most len(p) bytes that end early at the end of data, so read
// boundaries wander across characters.
type cycleSource struct {
	data   []byte
	pos    int
	served int
}

func (c *cycleSource) Receive(_ context.Context, p []byte) (int, error) {
	n := copy(p, c.data[c.pos:])
	c.pos = (c.pos + n) % len(c.data)
	c.served += n
	return n, nil
}

func (c *cycleSource) Close() error { return nil }

// Read makes the source an io.Reader for the x/text baseline.
func (c *cycleSource) Read(p []byte) (int, error) { return c.Receive(context.Background(), p) }

var sink string

// BenchmarkDecodeUTF8 compares receiving UTF-8 text through a Receiver with
// converting the same reads to strings directly (string(bytes)), which is
// what the Receiver's UTF-8 fast path adds validation and character
// alignment to.
func BenchmarkDecodeUTF8(b *testing.B) {
	data := []byte(strings.Repeat("Grüße aus Köln – 日本語テキスト 😀 plain ASCII words, ", 2000))
	b.Run("text.Receiver", func(b *testing.B) {
		src := &cycleSource{data: data}
		r := text.NewReceiver(src)
		ctx := context.Background()
		b.SetBytes(benchBlock)
		b.ReportAllocs()
		for b.Loop() {
			for start := src.served; src.served-start < benchBlock; {
				s, err := r.Receive(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sink = s
			}
		}
	})
	b.Run("string(bytes)", func(b *testing.B) {
		src := &cycleSource{data: data}
		buf := make([]byte, text.DefaultReadSize)
		ctx := context.Background()
		b.SetBytes(benchBlock)
		b.ReportAllocs()
		for b.Loop() {
			for start := src.served; src.served-start < benchBlock; {
				n, err := src.Receive(ctx, buf)
				if err != nil {
					b.Fatal(err)
				}
				sink = string(buf[:n])
			}
		}
	})
}

// BenchmarkDecodeLatin1 compares a Receiver decoding ISO 8859-1 with
// golang.org/x/text's transform.Reader over the same source, each turning
// what it decodes into strings.
func BenchmarkDecodeLatin1(b *testing.B) {
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(0x20 + i%0xE0) // ASCII and Latin-1 letters alike
	}
	b.Run("text.Receiver", func(b *testing.B) {
		src := &cycleSource{data: data}
		r := text.NewReceiver(src, text.WithEncoding(charmap.ISO8859_1))
		ctx := context.Background()
		b.SetBytes(benchBlock)
		b.ReportAllocs()
		for b.Loop() {
			for start := src.served; src.served-start < benchBlock; {
				s, err := r.Receive(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sink = s
			}
		}
	})
	b.Run("transform.Reader", func(b *testing.B) {
		src := &cycleSource{data: data}
		tr := transform.NewReader(src, charmap.ISO8859_1.NewDecoder())
		buf := make([]byte, 2*text.DefaultReadSize)
		b.SetBytes(benchBlock)
		b.ReportAllocs()
		for b.Loop() {
			for start := src.served; src.served-start < benchBlock; {
				n, err := tr.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				sink = string(buf[:n])
			}
		}
	})
}

// BenchmarkSend compares sending UTF-8 text through a Sender with copying
// the same strings into a reused buffer and handing that to the byte stream,
// which is what the Sender adds validation to.
func BenchmarkSend(b *testing.B) {
	item := strings.Repeat("Grüße aus Köln – 日本語 😀 ", 100)
	ctx := context.Background()
	b.Run("text.Sender", func(b *testing.B) {
		s := text.NewSender(discard{})
		b.SetBytes(int64(len(item)))
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Send(ctx, item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy to []byte", func(b *testing.B) {
		var d stream.ByteSender = discard{}
		var buf []byte
		b.SetBytes(int64(len(item)))
		b.ReportAllocs()
		for b.Loop() {
			buf = append(buf[:0], item...)
			if err := d.Send(ctx, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// discard is a ByteSender that drops everything.
type discard struct{}

func (discard) Send(context.Context, []byte) error { return nil }
func (discard) Close() error                       { return nil }
