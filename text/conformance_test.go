package text_test

import (
	"context"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
	"github.com/anyio-go/anyio/text"
)

// charReceiver re-splits the text a text stream receives into single
// characters. A byte stream keeps no boundaries, so a text stream cannot
// return the strings sent one by one; sending one character per item and
// re-splitting lets the object-stream suite check everything else: the text
// arrives whole and in order, end of stream, closing, and that cancelled
// Receives never lose or duplicate text.
type charReceiver struct {
	inner stream.ObjectReceiver[string]
	rest  string // received but not yet handed out
}

func (c *charReceiver) Receive(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if c.rest == "" {
		s, err := c.inner.Receive(ctx)
		if err != nil {
			return "", err
		}
		c.rest = s
	}
	_, n := utf8.DecodeRuneInString(c.rest)
	item := c.rest[:n]
	c.rest = c.rest[n:]
	return item, nil
}

func (c *charReceiver) Close() error { return c.inner.Close() }

// charItem is the i-th distinct character: from U+0080 up, skipping the
// surrogate range, so items are 2, 3 and then 4 bytes long in UTF-8.
func charItem(i int) string {
	r := rune(0x80 + i)
	if r >= 0xD800 {
		r += 0x800
	}
	return string(r)
}

func TestObjectStreamConformance(t *testing.T) {
	for _, enc := range []encoding.Encoding{unicode.UTF8, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)} {
		t.Run(encodingLabel(enc), func(t *testing.T) {
			mk := func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
				// A small buffer, so that Sends block: a cancelled
				// Send leaves a text stream broken (part of a
				// character may have gone), which SendBreaksOnCancel
				// declares.
				a, b := memory.NewBytePipe(16)
				s := text.NewStream(a, text.WithEncoding(enc))
				r := text.NewStream(b, text.WithEncoding(enc), text.WithReadSize(5))
				return s, &charReceiver{inner: r}, func() { _ = a.Close(); _ = b.Close() }
			}
			streamtest.TestObjectStream(t, mk, charItem, streamtest.ObjectStreamOptions{SendBreaksOnCancel: true})
		})
	}
}

func encodingLabel(enc encoding.Encoding) string {
	if s, ok := enc.(interface{ String() string }); ok {
		return s.String()
	}
	return "encoding"
}
