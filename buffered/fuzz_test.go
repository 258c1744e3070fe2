package buffered

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReceiveUntil checks ReceiveUntil under arbitrary chunking against a
// reference split made with bytes.Split: each part before a delimiter is
// returned when part and delimiter fit in maxBytes, and the stream stops
// with ErrDelimiterNotFound at the first part that does not; the part after
// the last delimiter ends the stream with ErrIncompleteRead (or io.EOF when
// empty), or with ErrDelimiterNotFound when it is maxBytes long or more:
// a zero limit finds nothing, not even the end.
func FuzzReceiveUntil(f *testing.F) {
	f.Add([]byte("abc\ndef\n\nghi"), []byte("\n"), uint16(10), []byte{0, 1, 2})
	f.Add([]byte("one\r\ntwo\r\nthree"), []byte("\r\n"), uint16(5), []byte{3})
	f.Add([]byte("aaXYZaXYXYZZ"), []byte("XYZ"), uint16(64), []byte{1})
	f.Add([]byte("aaaab"), []byte("aab"), uint16(4), []byte{0})
	f.Add([]byte(""), []byte("\n"), uint16(0), []byte(nil))
	f.Fuzz(func(t *testing.T, data, delim []byte, maxBytes uint16, cuts []byte) {
		if len(delim) == 0 {
			delim = []byte("\n")
		}
		limit := int(maxBytes % 5000)
		r := NewReceiver(&cutReceiver{data: bytes.Clone(data), cuts: cuts})
		parts := bytes.Split(data, delim)
		rest := data
		for i, part := range parts {
			line, err := r.ReceiveUntil(bg, delim, limit)
			last := i == len(parts)-1
			switch {
			case !last && len(part)+len(delim) <= limit:
				if err != nil || !bytes.Equal(line, part) {
					t.Fatalf("part %d: got %q, %v; want %q", i, line, err, part)
				}
				rest = rest[len(part)+len(delim):]
				continue
			case last && len(part) == 0 && limit > 0:
				if err != io.EOF {
					t.Fatalf("end: got %q, %v; want io.EOF", line, err)
				}
			case last && len(part) < limit:
				if !errors.Is(err, ErrIncompleteRead) || !bytes.Equal(r.Buffered(), part) {
					t.Fatalf("end: got %v, buffered %q; want incomplete %q", err, r.Buffered(), part)
				}
			default:
				if !errors.Is(err, ErrDelimiterNotFound) {
					t.Fatalf("part %d (%d bytes, limit %d): got %q, %v; want not found", i, len(part), limit, line, err)
				}
				b := r.Buffered()
				if len(b) < limit || len(b) > max(limit, defaultSize) || !bytes.HasPrefix(rest, b) {
					t.Fatalf("not found: buffered %d bytes %q, limit %d, rest %q", len(b), b, limit, rest)
				}
			}
			return
		}
	})
}
