package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/stream"
)

// DefaultMaxLineLength is the longest line Lines accepts unless told
// otherwise: 64 KiB, not counting the line ending.
const DefaultMaxLineLength = 64 << 10

// LinesOption configures Lines.
type LinesOption func(*linesConfig)

type linesConfig struct {
	maxLen int
}

// MaxLineLength sets the longest line, in bytes, that Lines sends or
// receives, not counting its "\n" or "\r\n" ending. The default is
// DefaultMaxLineLength. It panics if n is negative.
func MaxLineLength(n int) LinesOption {
	if n < 0 {
		panic("codec: negative MaxLineLength")
	}
	return func(c *linesConfig) { c.maxLen = n }
}

// Lines returns an object stream of text lines over the byte stream s.
//
// Send appends "\n" to the line and writes both with one Send on s. It
// refuses, before sending anything and without harming the stream, a line
// containing "\n" or ending in "\r" (ErrInvalidLine: the receiver could not
// get it back unchanged) and a line longer than MaxLineLength
// (ErrLineTooLong).
//
// Receive returns the next line without its "\n", and without the "\r"
// before it, if any. A last line that the stream ends without terminating
// is returned as it is, then io.EOF. A line longer than MaxLineLength
// breaks the receive side: Receive returns an error wrapping both
// stream.ErrBroken and ErrLineTooLong and naming the limit, now and from
// then on. Looking for the end of a line, Receive lets the buffer grow to
// no more than MaxLineLength+2 bytes (or 4 KiB, if that is more).
//
// Lines reads through a buffered.Stream; when s is one, its buffer is used,
// so bytes already buffered or fed there are read first. See the package
// documentation for concurrency, cancellation and close.
func Lines(s stream.ByteStream, opts ...LinesOption) stream.ObjectStream[string] {
	cfg := linesConfig{maxLen: DefaultMaxLineLength}
	for _, o := range opts {
		o(&cfg)
	}
	return &lineStream{
		framer: newFramer("lines", s),
		maxLen: cfg.maxLen,
		window: min(cfg.maxLen, math.MaxInt-2) + 2, // the line, "\r" and "\n"
	}
}

// lineStream is the stream Lines returns.
type lineStream struct {
	framer
	maxLen int
	window int // how far ReceiveUntil looks for the "\n"
}

var newline = []byte{'\n'}

// Receive returns the next line; see Lines.
func (l *lineStream) Receive(ctx context.Context) (string, error) {
	slot, err := l.beginReceive(ctx)
	if err != nil {
		return "", err
	}
	defer slot.Release()
	v, err := slot.ReceiveUntilView(ctx, newline, l.window)
	if err == nil {
		if n := len(v); n > 0 && v[n-1] == '\r' {
			v = v[:n-1]
		}
		return l.line(v)
	}
	switch {
	case err == io.EOF:
		return "", io.EOF
	case errors.Is(err, buffered.ErrIncompleteRead):
		return l.lastLine(ctx, slot)
	case errors.Is(err, buffered.ErrDelimiterNotFound):
		return "", l.tooLong()
	default:
		return "", l.fail(opReceive, err)
	}
}

// lastLine returns the unterminated line the stream ended with, which
// ReceiveUntil left in the buffer.
func (l *lineStream) lastLine(ctx context.Context, slot buffered.Slot) (string, error) {
	v, err := slot.ReceiveExactlyView(ctx, slot.BufferedLen())
	if err != nil {
		return "", l.fail(opReceive, err)
	}
	return l.line(v)
}

// line checks the length of a received line and copies it into a string.
func (l *lineStream) line(v []byte) (string, error) {
	if len(v) > l.maxLen {
		return "", l.tooLong()
	}
	return string(v), nil
}

func (l *lineStream) tooLong() error {
	return l.breakReceive(fmt.Errorf("%w: longer than the limit of %d bytes", ErrLineTooLong, l.maxLen))
}

// Send sends line followed by "\n"; see Lines.
func (l *lineStream) Send(ctx context.Context, line string) error {
	if err := l.beginSend(ctx); err != nil {
		return err
	}
	defer l.send.Release()
	if err := l.check(line); err != nil {
		return l.fail(opSend, err)
	}
	l.sendBuf = append(append(l.sendBuf[:0], line...), '\n')
	return l.write(ctx, l.sendBuf)
}

// check refuses the lines the peer could not receive unchanged.
func (l *lineStream) check(line string) error {
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		return fmt.Errorf(`%w: it contains "\n" at byte %d`, ErrInvalidLine, i)
	}
	if strings.HasSuffix(line, "\r") {
		return fmt.Errorf(`%w: it ends in "\r", which the receiving side would strip`, ErrInvalidLine)
	}
	if len(line) > l.maxLen {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrLineTooLong, len(line), l.maxLen)
	}
	return nil
}
