package text

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/stream"
)

var (
	errReceiveBusy   = fmt.Errorf("text: receive: %w", stream.ErrBusy)
	errReceiveClosed = fmt.Errorf("text: receive: %w", stream.ErrClosed)
)

// Receiver decodes the bytes of a stream.ByteReceiver into strings. It is a
// stream.ObjectReceiver[string].
//
// One goroutine may receive at a time: a concurrent Receive returns
// stream.ErrBusy. Close may be called at any time from any goroutine.
type Receiver struct {
	inner  stream.ByteReceiver
	enc    encoding.Encoding
	guard  busy.Guard
	closed atomic.Bool

	// The fields below are guarded by guard.

	replace bool
	tr      *transcoder // nil for UTF-8
	scratch []byte      // the UTF-8 replacement path's output

	// buf[head:tail] are bytes received but not decoded yet: the start of
	// a character, or, when ready is set, more than one step could take.
	buf        []byte
	head, tail int
	readSize   int
	offset     int64 // stream offset of buf[head]
	ready      bool
	eof        bool

	err      *DecodeError // sticky once set
	reported bool         // err was returned as it is once
}

// NewReceiver returns a Receiver decoding the bytes r delivers, in UTF-8
// unless WithEncoding says otherwise. The Receiver owns r: closing it
// closes r.
func NewReceiver(r stream.ByteReceiver, opts ...Option) *Receiver {
	c := newConfig(opts)
	rc := &Receiver{}
	rc.init(r, c)
	return rc
}

func (r *Receiver) init(inner stream.ByteReceiver, c config) {
	r.inner = inner
	r.enc = c.enc
	r.replace = c.replacement
	r.readSize = c.readSize
	r.buf = make([]byte, c.readSize+maxPending)
	if c.enc != unicode.UTF8 {
		r.tr = newTranscoder(c.enc, c.readSize, !c.replacement)
	}
}

// Receive returns the next piece of text: at least one whole character,
// never "", and never part of a character. It decodes the bytes already
// received if they hold a whole character, and otherwise reads from the byte
// stream (at most the read size at a time) until they do.
//
// At end of stream it returns io.EOF, unwrapped, once all text was
// delivered; a character cut short by the end of stream is a *DecodeError
// (or U+FFFD, then io.EOF, with WithReplacement).
//
// Invalid input ends the stream: the text before it is delivered first, then
// Receive returns a *DecodeError, and from then on an error wrapping
// stream.ErrBroken and that *DecodeError. With WithReplacement, invalid
// input is received as U+FFFD and does not end the stream — except where the
// encoding itself refuses to go on (UTF-16 with ExpectBOM and no byte-order
// mark), which ends it as in strict mode. A *DecodeError's Offset does not
// depend on how the input was split into receives; for a stateful encoding
// its Bytes may include the escape sequence that follows the bad byte.
//
// A cancelled ctx makes a blocked Receive return an error for which
// errors.Is(err, ctx.Err()) holds; bytes already received stay buffered, so
// no text is lost. After Close it returns stream.ErrClosed; a concurrent
// Receive returns stream.ErrBusy. Errors of the byte stream are returned
// wrapped.
func (r *Receiver) Receive(ctx context.Context) (string, error) {
	if r.closed.Load() {
		return "", errReceiveClosed
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("text: receive: %w", err)
	}
	if !r.guard.TryAcquire() {
		return "", errReceiveBusy
	}
	defer r.guard.Release()
	for {
		if r.err != nil {
			return "", r.stickyErr()
		}
		if pending := r.tail - r.head; pending > 0 && (r.ready || r.eof || pending >= maxPending) {
			s, progress := r.decode(r.eof)
			if !progress && r.err == nil && !r.eof && pending >= maxPending {
				// A decoder still waiting for the rest of a character
				// after maxPending bytes is made to decide, as at end
				// of stream.
				s, progress = r.decode(true)
			}
			switch {
			case s != "":
				return s, nil
			case progress || r.err != nil:
				continue
			case r.eof || pending >= maxPending:
				r.err = r.decodeError(&badInput{bytes: r.buf[r.head:r.tail], err: errDecoderStuck})
				continue
			}
		}
		if r.eof {
			return "", io.EOF
		}
		if err := r.fill(ctx); err != nil {
			return "", err
		}
	}
}

// decode runs one decode step over the buffered bytes and returns its text
// and whether it consumed anything.
func (r *Receiver) decode(atEOF bool) (string, bool) {
	src := r.buf[r.head:r.tail]
	var d decoded
	if r.tr == nil {
		d = decodeUTF8(src, atEOF, r.replace, &r.scratch)
	} else {
		d = r.tr.step(src, atEOF)
	}
	if d.bad != nil {
		r.err = r.decodeError(d.bad)
		return string(d.out), true
	}
	r.head += d.consumed
	r.offset += int64(d.consumed)
	r.ready = d.more && r.head < r.tail
	return string(d.out), d.consumed > 0
}

// fill reads more bytes behind those already buffered. It returns nil at end
// of stream, having set eof.
func (r *Receiver) fill(ctx context.Context) error {
	if r.head > 0 {
		r.tail = copy(r.buf, r.buf[r.head:r.tail])
		r.head = 0
	}
	end := min(len(r.buf), r.tail+r.readSize)
	n, err := r.inner.Receive(ctx, r.buf[r.tail:end])
	r.tail += n
	r.ready = n > 0
	switch {
	case err == io.EOF:
		r.eof = true
		return nil
	case err != nil:
		return fmt.Errorf("text: receive: %w", err)
	}
	return nil
}

func (r *Receiver) decodeError(bad *badInput) *DecodeError {
	err := bad.err
	if err == io.ErrUnexpectedEOF && !r.eof {
		err = nil // a decoder forced to decide early, not the end of the stream
	}
	return &DecodeError{
		Encoding: encodingName(r.enc),
		Offset:   r.offset + int64(bad.at),
		Bytes:    append([]byte(nil), bad.bytes...),
		Err:      err,
	}
}

// stickyErr returns the decode error itself the first time, then wrapped in
// stream.ErrBroken: the stream cannot be resynchronised after bad input.
func (r *Receiver) stickyErr() error {
	if !r.reported {
		r.reported = true
		return r.err
	}
	return fmt.Errorf("text: receive: %w", stream.Broken(r.err))
}

// Close closes the Receiver and the byte stream under it, waking a blocked
// Receive, which returns stream.ErrClosed. It is idempotent and returns the
// byte stream's Close error.
func (r *Receiver) Close() error {
	r.closed.Store(true)
	return r.inner.Close()
}

// Extra answers EncodingAttr with the encoding in use and forwards every
// other attribute to the byte stream.
func (r *Receiver) Extra(key any) (any, bool) {
	if key == any(EncodingAttr) {
		return r.enc, true
	}
	return stream.ForwardExtra(r.inner, key)
}

var _ stream.ObjectReceiver[string] = (*Receiver)(nil)
