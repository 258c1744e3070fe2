// Package codec turns byte streams into typed object streams: newline
// delimited text (Lines), length-prefixed binary frames (LengthPrefixed),
// and any encoding layered on an object stream (Map, JSON). Each takes a
// stream and is a stream, so they stack:
//
//	codec.JSON[Request](codec.LengthPrefixed(tcpStream))
//
// # Errors and what follows them
//
// Input that breaks the framing — a line longer than MaxLineLength, a frame
// header announcing more than MaxFrameSize, the stream ending inside a
// frame — is reported as an error naming what went wrong and the limit, and
// it breaks the receive side: that Receive and every later one return an
// error wrapping stream.ErrBroken and the cause (ErrLineTooLong,
// ErrFrameTooLarge, io.ErrUnexpectedEOF). Nothing is allocated on the
// strength of an untrusted length; memory stays within the configured
// limits. The send side is independent and keeps working.
//
// An item that cannot be encoded (a line containing "\n", a frame over
// MaxFrameSize, a value json.Marshal rejects) is refused before anything is
// sent; the stream stays usable. An item Map or JSON cannot decode was
// consumed whole from a healthy framing layer, so its Receive returns an
// error wrapping ErrDecode and the next Receive returns the next item.
//
// # Concurrency and cancellation
//
// Lines and LengthPrefixed follow the byte-stream rules of their transport:
// one Receive and one Send at a time (a second concurrent call returns
// stream.ErrBusy; CloseWrite shares the send slot), while Receive and Send
// may run concurrently. A cancelled Receive loses nothing: a partly received
// line or frame stays buffered and the next Receive completes it. A
// cancelled Send may have written part of its item, so the send side is
// broken from then on: later Sends return an error wrapping stream.ErrBroken
// and the cause — except a context's error, which is only described, so
// that a later Send's error never reads as that Send's own timeout (use
// streamtest's SendBreaksOnCancel when testing them). A Send whose ctx was
// already done sends nothing and breaks nothing.
//
// Close closes the wrapped stream, after which every call returns
// stream.ErrClosed; CloseWrite is passed down, after which Send returns
// stream.ErrClosed; attribute queries (Extra) are forwarded.
package codec

import "errors"

var (
	// ErrLineTooLong is wrapped by the errors for a line longer than
	// MaxLineLength, received or about to be sent.
	ErrLineTooLong = errors.New("codec: line too long")

	// ErrInvalidLine is wrapped by the error for a line Lines cannot send
	// faithfully: one containing "\n", or ending in "\r" (which the receiving
	// side would strip).
	ErrInvalidLine = errors.New("codec: line cannot be sent")

	// ErrFrameTooLarge is wrapped by the errors for a frame longer than
	// MaxFrameSize, announced by a received header or about to be sent.
	ErrFrameTooLarge = errors.New("codec: frame too large")

	// ErrEncode is wrapped, together with the encoder's own error, by the
	// error for an item Map or JSON could not encode.
	ErrEncode = errors.New("codec: cannot encode item")

	// ErrDecode is wrapped, together with the decoder's own error, by the
	// error for an item Map or JSON could not decode.
	ErrDecode = errors.New("codec: cannot decode item")
)
