package text

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
)

// ErrUnknownEncoding is wrapped by the error EncodingByName returns for a
// name it does not know or an encoding golang.org/x/text does not implement.
var ErrUnknownEncoding = errors.New("text: unknown encoding")

// DecodeError reports bytes received that are not valid in the encoding.
//
// A Receiver returns it (as the error itself, so errors.As and a type
// assertion both find it) once the text before the bad bytes has been
// delivered. The stream cannot be resynchronised after that: every later
// Receive returns an error wrapping stream.ErrBroken and this DecodeError.
type DecodeError struct {
	// Encoding is the name of the encoding, e.g. "UTF-8" or "Shift_JIS".
	Encoding string
	// Offset is the 0-based offset, in the byte stream, of the first byte
	// that could not be decoded.
	Offset int64
	// Bytes holds the bytes that could not be decoded: the ill-formed
	// sequence starting at Offset, or the incomplete character left at
	// end of stream.
	Bytes []byte
	// Err is io.ErrUnexpectedEOF when the stream ended in the middle of a
	// character, the decoder's own error when it reported one, and nil
	// for plain invalid bytes.
	Err error
}

// Error describes the bad bytes and where they were.
func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "text: receive: ")
	switch {
	case e.Err == nil:
		fmt.Fprintf(&b, "invalid %s at offset %d", e.Encoding, e.Offset)
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		fmt.Fprintf(&b, "%s stream ended in the middle of a character at offset %d", e.Encoding, e.Offset)
	default:
		fmt.Fprintf(&b, "%s decoding failed at offset %d: %v", e.Encoding, e.Offset, e.Err)
	}
	if len(e.Bytes) > 0 {
		fmt.Fprintf(&b, " (% x)", e.Bytes)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError reports a string given to Send that the encoding cannot
// represent. Nothing of that string was sent, and the sender stays usable.
type EncodeError struct {
	// Encoding is the name of the encoding, e.g. "ISO-8859-1".
	Encoding string
	// Rune is the rune that cannot be encoded; utf8.RuneError when the
	// string is not valid UTF-8 at Offset.
	Rune rune
	// Offset is the byte offset of that rune within the string sent.
	Offset int
	// Err is the encoder's error: encoding.ErrInvalidUTF8 for invalid UTF-8
	// in the string, otherwise the encoder's report of an unsupported rune.
	Err error
}

// Error names the rune, its offset and the encoding.
func (e *EncodeError) Error() string {
	if errors.Is(e.Err, encoding.ErrInvalidUTF8) {
		return fmt.Sprintf("text: send: invalid UTF-8 at byte %d of the string", e.Offset)
	}
	return fmt.Sprintf("text: send: %U %q at byte %d of the string cannot be encoded in %s", e.Rune, e.Rune, e.Offset, e.Encoding)
}

// Unwrap returns Err.
func (e *EncodeError) Unwrap() error { return e.Err }

// encodingName names enc for error messages: its preferred MIME name if it
// has one, else its IANA name, else whatever it calls itself.
func encodingName(enc encoding.Encoding) string {
	if n, err := ianaindex.MIME.Name(enc); err == nil && n != "" {
		return n
	}
	if n, err := ianaindex.IANA.Name(enc); err == nil && n != "" {
		return n
	}
	if s, ok := enc.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", enc)
}
