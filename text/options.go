// Package text turns byte streams into streams of strings, in UTF-8 or any
// other character encoding that golang.org/x/text implements.
//
// A Receiver decodes the bytes it reads into text; a Sender encodes each
// string it is given; a Stream does both over one stream.ByteStream:
//
//	s := text.NewStream(conn, text.WithEncoding(charmap.ISO8859_1))
//	_ = s.Send(ctx, "grüß dich\n")
//	msg, err := s.Receive(ctx)
//
// A byte stream has no message boundaries, so neither has a text stream:
// the strings received are the text sent, cut wherever the bytes happened to
// arrive, never in the middle of a character. Receive never returns "".
//
// Decoding is strict by default: bytes that are not valid in the encoding end
// the stream with a *DecodeError naming the offset of the first bad byte, and
// a string that cannot be encoded is refused with an *EncodeError before any
// of it is sent. WithReplacement makes both directions lenient instead:
// U+FFFD for undecodable bytes, the encoding's substitute for unencodable
// runes.
//
// Decoding errors cannot be resynchronised: after a *DecodeError every
// Receive reports the stream broken. A Send that the byte stream failed part
// way (cancelled while blocked, for instance) may have sent part of a
// character, so the Sender reports itself broken from then on too.
//
// UTF-8, the default, is decoded and encoded without going through a
// transformer: the bytes are validated and copied once. Every type here
// answers EncodingAttr and forwards other attributes to the byte stream, and
// closing one closes the byte stream.
package text

import (
	"fmt"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/stream"
)

// DefaultReadSize is how many bytes a Receive asks the underlying byte stream
// for at most, unless WithReadSize says otherwise.
const DefaultReadSize = 4096

// EncodingAttr is the attribute under which receivers, senders and streams of
// this package report the encoding they use (unicode.UTF8 by default).
var EncodingAttr = stream.NewAttribute[encoding.Encoding]("text encoding")

// Option configures a Receiver, Sender or Stream.
type Option func(*config)

// config is what the options set; the zero value is not used, see newConfig.
type config struct {
	enc         encoding.Encoding
	replacement bool
	readSize    int
}

func newConfig(opts []Option) config {
	c := config{enc: unicode.UTF8, readSize: DefaultReadSize}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithEncoding selects the character encoding of the bytes on the wire. A nil
// encoding means the default, UTF-8. See EncodingByName to look one up by
// its IANA name.
func WithEncoding(enc encoding.Encoding) Option {
	return func(c *config) {
		if enc == nil {
			enc = unicode.UTF8
		}
		c.enc = enc
	}
}

// WithReplacement makes decoding and encoding lenient: bytes that are not
// valid in the encoding are received as U+FFFD, and runes the encoding
// cannot represent (or invalid UTF-8 in a string sent) are sent as the
// encoding's replacement (U+FFFD in the Unicode encodings, a substitute
// byte such as 0x1A in single-byte ones). Without it, both are errors.
func WithReplacement() Option {
	return func(c *config) { c.replacement = true }
}

// WithReadSize bounds how many bytes one Receive asks the underlying byte
// stream for (DefaultReadSize unless set), and so how much text it returns
// at once: what those bytes decode to, plus the few bytes of a character
// begun in the read before. The Receiver's buffers are sized from it. It
// panics if n is less than 1.
func WithReadSize(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("text: WithReadSize(%d): size must be at least 1", n))
	}
	return func(c *config) { c.readSize = n }
}
