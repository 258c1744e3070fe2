package codec

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/stream"
)

// wire is a byte stream that delivers data in chunks whose sizes come from
// cuts (cycled), then io.EOF; what is sent is discarded.
type wire struct {
	sink
	data []byte
	cuts []byte
	i    int
}

func (w *wire) Receive(_ context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(w.data) == 0 {
		return 0, io.EOF
	}
	size := len(w.data)
	if len(w.cuts) > 0 {
		size = 1 + int(w.cuts[w.i%len(w.cuts)])
		w.i++
	}
	n := copy(p, w.data[:min(size, len(w.data))])
	w.data = w.data[n:]
	return n, nil
}

// FuzzLines decodes arbitrary bytes, arbitrarily chunked, and checks the
// lines against a reference split: lines come out as bytes.Split on "\n"
// gives them, without a "\r" before the "\n", until the first line over the
// limit, which breaks the stream for good. Nothing panics and the buffer
// never grows past the limit.
func FuzzLines(f *testing.F) {
	f.Add([]byte("one\r\ntwo\n\nlast"), []byte{3, 0}, uint8(8))
	f.Add([]byte("toolongline\nx\n"), []byte{0}, uint8(4))
	f.Add([]byte("1234\r\n12345\n"), []byte(nil), uint8(4))
	f.Add([]byte("\r\r\r\n\n"), []byte{1}, uint8(0))
	f.Fuzz(func(t *testing.T, data, cuts []byte, maxLen uint8) {
		limit := int(maxLen)
		bs := buffered.NewStream(&wire{data: bytes.Clone(data), cuts: cuts})
		l := Lines(bs, MaxLineLength(limit))
		parts := bytes.Split(data, []byte("\n"))
		if len(parts[len(parts)-1]) == 0 {
			parts = parts[:len(parts)-1] // a final "\n" ends the last line
		}
		for i, part := range parts {
			if i < len(parts)-1 || bytes.HasSuffix(data, []byte("\n")) {
				part = bytes.TrimSuffix(part, []byte("\r"))
			}
			got, err := l.Receive(bg)
			if len(bs.Buffered()) > max(limit+2, 4096) {
				t.Fatalf("%d bytes buffered with a limit of %d", len(bs.Buffered()), limit)
			}
			if len(part) > limit {
				if !errors.Is(err, ErrLineTooLong) || !errors.Is(err, stream.ErrBroken) {
					t.Fatalf("line %d (%d bytes, limit %d): got %q, %v; want too long", i, len(part), limit, got, err)
				}
				if _, again := l.Receive(bg); again == nil || again.Error() != err.Error() {
					t.Fatalf("after too long: %v; want the same error again", again)
				}
				return
			}
			if err != nil || got != string(part) {
				t.Fatalf("line %d: got %q, %v; want %q", i, got, err, part)
			}
		}
		if _, err := l.Receive(bg); err != io.EOF {
			t.Fatalf("after the last line: %v; want io.EOF", err)
		}
	})
}

// FuzzLengthPrefixed decodes arbitrary bytes, arbitrarily chunked, with
// every header size and byte order, and checks the frames against a
// reference parse: frames come out whole until a header over the limit or
// a cut-short frame breaks the stream. Nothing panics, no frame exceeds the
// limit, and the buffer never holds more than the largest frame allowed.
func FuzzLengthPrefixed(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x03abc\x00\x00\x00\x00"), []byte{2}, uint8(2), false, uint16(100))
	f.Add([]byte("\x03abc\x05ab"), []byte{0}, uint8(0), false, uint16(10))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff"), []byte(nil), uint8(3), true, uint16(1000))
	f.Add([]byte("\x04\x00xyzw"), []byte{1, 5}, uint8(1), true, uint16(4))
	f.Fuzz(func(t *testing.T, data, cuts []byte, sizeSel uint8, little bool, maxSize uint16) {
		hs := []int{1, 2, 4, 8}[sizeSel%4]
		opts := []FrameOption{HeaderSize(hs), MaxFrameSize(int(maxSize))}
		var order binary.ByteOrder = binary.BigEndian
		if little {
			opts = append(opts, LittleEndian())
			order = binary.LittleEndian
		}
		limit := min(int(maxSize), 1<<(8*min(hs, 4))-1)
		bs := buffered.NewStream(&wire{data: bytes.Clone(data), cuts: cuts})
		fs := LengthPrefixed(bs, opts...)
		rest := data
		for {
			got, err := fs.Receive(bg)
			if len(bs.Buffered()) > max(limit+hs, 4096) {
				t.Fatalf("%d bytes buffered with a limit of %d", len(bs.Buffered()), limit)
			}
			if len(rest) == 0 {
				if err != io.EOF {
					t.Fatalf("at the end: got %d bytes, %v; want io.EOF", len(got), err)
				}
				return
			}
			if len(rest) < hs {
				wantBroken(t, fs, err, io.ErrUnexpectedEOF)
				return
			}
			var n uint64
			h := make([]byte, 8)
			if little {
				copy(h, rest[:hs])
			} else {
				copy(h[8-hs:], rest[:hs])
			}
			n = order.Uint64(h)
			switch {
			case n > uint64(limit):
				wantBroken(t, fs, err, ErrFrameTooLarge)
				return
			case uint64(len(rest)-hs) < n:
				wantBroken(t, fs, err, io.ErrUnexpectedEOF)
				return
			}
			want := rest[hs : hs+int(n)]
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
			rest = rest[hs+int(n):]
		}
	})
}

func wantBroken(t *testing.T, fs stream.ObjectStream[[]byte], err, cause error) {
	t.Helper()
	if !errors.Is(err, cause) || !errors.Is(err, stream.ErrBroken) {
		t.Fatalf("got %v; want broken by %v", err, cause)
	}
	if _, again := fs.Receive(bg); again == nil || again.Error() != err.Error() {
		t.Fatalf("after %v: got %v; want the same error again", err, again)
	}
}
