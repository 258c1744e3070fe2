package text

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/internal/relabel"
	"github.com/anyio-go/anyio/stream"
)

const (
	// sendChunk is the largest piece of UTF-8 text handed to the byte
	// stream at once; longer strings go in several Sends.
	sendChunk = 64 << 10
	// encodeChunk is how much of a string is handed to an encoder at once.
	encodeChunk = 4 << 10
	// keepBuffer is the largest encode buffer kept between Sends; a string
	// whose encoding needs more gets a buffer of its own.
	keepBuffer = 64 << 10
)

var (
	errSendBusy   = fmt.Errorf("text: send: %w", stream.ErrBusy)
	errSendClosed = fmt.Errorf("text: send: %w", stream.ErrClosed)
)

// Sender encodes strings onto a stream.ByteSender. It is a
// stream.ObjectSender[string].
//
// The receiving side sees the concatenation of the strings sent, not the
// strings one by one: a byte stream keeps no boundaries.
//
// One goroutine may send at a time: a concurrent Send returns
// stream.ErrBusy. Close may be called at any time from any goroutine.
type Sender struct {
	inner  stream.ByteSender
	enc    encoding.Encoding
	guard  busy.Guard
	closed atomic.Bool

	// The fields below are guarded by guard.

	replace     bool
	encoder     *encoding.Encoder // nil for UTF-8
	checker     *encoding.Encoder // strict mode: vets each string first
	scratch     []byte            // the checker's discarded output
	buf         []byte            // encoded bytes on their way out
	src         []byte            // the piece of a string an encoder is given
	sentAny     bool              // some bytes may have reached the byte stream
	writeClosed bool              // CloseWrite was called (Stream only)
	broken      error             // the byte stream failed a Send
}

// NewSender returns a Sender encoding strings onto s, in UTF-8 unless
// WithEncoding says otherwise. The Sender owns s: closing it closes s.
func NewSender(s stream.ByteSender, opts ...Option) *Sender {
	c := newConfig(opts)
	sd := &Sender{}
	sd.init(s, c)
	return sd
}

func (s *Sender) init(inner stream.ByteSender, c config) {
	s.inner = inner
	s.enc = c.enc
	s.replace = c.replacement
	if c.enc == unicode.UTF8 {
		return
	}
	s.encoder = c.enc.NewEncoder()
	if c.replacement {
		s.encoder = encoding.ReplaceUnsupported(s.encoder)
	}
	s.src = make([]byte, encodeChunk)
}

// Send encodes item and sends it whole. Sending "" sends nothing.
//
// Without WithReplacement, an item holding invalid UTF-8 or a rune the
// encoding cannot represent is refused with an *EncodeError before any of
// it is sent; the Sender stays usable. With it, those are sent as the
// encoding's replacement.
//
// An error from the byte stream is returned wrapped (errors.Is(err,
// ctx.Err()) holds for a cancelled ctx). Part of the item may have been sent
// by then, possibly part of a character, so every later Send returns an
// error wrapping stream.ErrBroken and that cause (only described when it
// was a context's error, which would otherwise read as the later Send's own
// cancellation). An already-cancelled ctx
// sends nothing and breaks nothing. After Close (or a Stream's CloseWrite)
// Send returns stream.ErrClosed; a concurrent Send returns stream.ErrBusy.
func (s *Sender) Send(ctx context.Context, item string) error {
	if s.closed.Load() {
		return errSendClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("text: send: %w", err)
	}
	if !s.guard.TryAcquire() {
		return errSendBusy
	}
	defer s.guard.Release()
	if s.writeClosed {
		return errSendClosed
	}
	if s.broken != nil {
		return fmt.Errorf("text: send: %w", stream.Broken(s.broken))
	}
	if item == "" {
		return nil
	}
	if s.encoder == nil {
		return s.sendUTF8(ctx, item)
	}
	return s.sendEncoded(ctx, item)
}

// sendUTF8 copies item out in pieces of at most sendChunk bytes: UTF-8 text
// needs validating, not converting.
func (s *Sender) sendUTF8(ctx context.Context, item string) error {
	if !utf8.ValidString(item) {
		at := firstInvalidString(item)
		if !s.replace {
			return &EncodeError{Encoding: "UTF-8", Rune: utf8.RuneError, Offset: at, Err: encoding.ErrInvalidUTF8}
		}
		s.buf = append(s.buf[:0], item...)
		return s.flush(ctx, appendValid(nil, s.buf))
	}
	if want := min(len(item), sendChunk); cap(s.buf) < want {
		s.buf = make([]byte, want)
	}
	for len(item) > 0 {
		n := copy(s.buf[:cap(s.buf)], item)
		if err := s.write(ctx, s.buf[:n]); err != nil {
			return err
		}
		item = item[n:]
	}
	return nil
}

// sendEncoded encodes the whole item before sending any of it, so that a
// rune the encoding lacks is found while nothing has gone yet.
func (s *Sender) sendEncoded(ctx context.Context, item string) error {
	if !s.replace {
		if !utf8.ValidString(item) {
			at := firstInvalidString(item)
			return &EncodeError{Encoding: encodingName(s.enc), Rune: utf8.RuneError, Offset: at, Err: encoding.ErrInvalidUTF8}
		}
		if err := s.check(item); err != nil {
			return err
		}
	}
	if need := len(item) + utf8.UTFMax; cap(s.buf) < need {
		s.buf = make([]byte, need)
	}
	buf := s.buf[:cap(s.buf)]
	n := 0
	for i := 0; ; {
		k := copy(s.src, item[i:])
		atEOF := i+k == len(item)
		nDst, nSrc, err := s.encoder.Transform(buf[n:], s.src[:k], atEOF)
		n, i = n+nDst, i+nSrc
		switch {
		case err == nil && atEOF:
			return s.flush(ctx, buf[:n])
		case err == transform.ErrShortDst:
			buf = append(buf[:n], make([]byte, len(buf))...)
			buf = buf[:cap(buf)]
		case err == nil, err == transform.ErrShortSrc && !atEOF:
		default:
			s.abandonItem()
			r, _ := utf8.DecodeRuneInString(item[i:])
			return &EncodeError{Encoding: encodingName(s.enc), Rune: r, Offset: i, Err: err}
		}
	}
}

// check finds the first rune of item that the encoding cannot represent,
// with an encoder of its own started afresh. The Sender's encoder so never
// sees a string it cannot finish: a stateful one (HZ, say, which stays in
// its two-byte mode from one string to the next) would otherwise be left in
// a state the peer never saw, with nothing to bring it back.
func (s *Sender) check(item string) error {
	if s.checker == nil {
		s.checker = s.enc.NewEncoder()
		s.scratch = make([]byte, 2*encodeChunk+utf8.UTFMax*8)
	}
	s.checker.Reset()
	for i := 0; ; {
		k := copy(s.src, item[i:])
		atEOF := i+k == len(item)
		_, nSrc, err := s.checker.Transform(s.scratch, s.src[:k], atEOF)
		i += nSrc
		switch {
		case err == nil && atEOF:
			return nil
		case err == nil, err == transform.ErrShortDst, err == transform.ErrShortSrc && !atEOF:
		default:
			r, _ := utf8.DecodeRuneInString(item[i:])
			return &EncodeError{Encoding: encodingName(s.enc), Rune: r, Offset: i, Err: err}
		}
	}
}

// flush sends an encoded item and keeps its buffer unless it grew too large
// to keep.
func (s *Sender) flush(ctx context.Context, p []byte) error {
	if cap(p) <= keepBuffer {
		s.buf = p[:0]
	} else {
		s.buf = nil
	}
	return s.write(ctx, p)
}

// abandonItem brings the encoder back to where it was before an item it
// failed on: out of whatever shift state the item left it in, and, while
// nothing was sent, to its initial state (so a byte-order mark still goes
// first).
func (s *Sender) abandonItem() {
	var scratch [16]byte
	s.encoder.Transform(scratch[:], nil, true)
	if !s.sentAny {
		s.encoder.Reset()
	}
}

// write hands p to the byte stream and records a failure as breaking the
// Sender: part of p may have gone.
func (s *Sender) write(ctx context.Context, p []byte) error {
	err := s.inner.Send(ctx, p)
	if err == nil {
		s.sentAny = true
		return nil
	}
	// ErrBusy: nothing went, the byte stream refused the call outright.
	if !errors.Is(err, stream.ErrBusy) {
		s.sentAny = true
		s.broken = relabel.SendCause(err)
	}
	return fmt.Errorf("text: send: %w", err)
}

// Close closes the Sender and the byte stream under it, waking a blocked
// Send, which returns stream.ErrClosed. It is idempotent and returns the
// byte stream's Close error.
func (s *Sender) Close() error {
	s.closed.Store(true)
	return s.inner.Close()
}

// Extra answers EncodingAttr with the encoding in use and forwards every
// other attribute to the byte stream.
func (s *Sender) Extra(key any) (any, bool) {
	if key == any(EncodingAttr) {
		return s.enc, true
	}
	return stream.ForwardExtra(s.inner, key)
}

var _ stream.ObjectSender[string] = (*Sender)(nil)
