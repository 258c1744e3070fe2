package codec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/stream"
)

// DefaultMaxFrameSize is the largest frame LengthPrefixed accepts unless
// told otherwise: 8 MiB of payload, inclusive.
const DefaultMaxFrameSize = 8 << 20

// coalesceLimit is the largest frame (header included) that Send copies
// into one buffer to write with a single transport Send. Larger frames go
// as two Sends; the extra call is small beside the payload.
const coalesceLimit = 16 << 10

// FrameOption configures LengthPrefixed.
type FrameOption func(*frameConfig)

type frameConfig struct {
	headerSize int
	little     bool
	maxSize    int
}

// HeaderSize sets the size of the length header in bytes: 1, 2, 4 (the
// default) or 8. The header holds the payload length as an unsigned
// integer, so it also caps the frame size (255 bytes for 1, 65535 for 2).
// HeaderSize panics for any other size.
func HeaderSize(n int) FrameOption {
	switch n {
	case 1, 2, 4, 8:
	default:
		panic(fmt.Sprintf("codec: HeaderSize(%d): want 1, 2, 4 or 8", n))
	}
	return func(c *frameConfig) { c.headerSize = n }
}

// LittleEndian makes the length header little-endian; it is big-endian
// (network byte order) by default.
func LittleEndian() FrameOption {
	return func(c *frameConfig) { c.little = true }
}

// MaxFrameSize sets the largest payload, in bytes and inclusive, that
// LengthPrefixed sends or receives. The default is DefaultMaxFrameSize; a
// limit beyond what the header can express is lowered to that. It panics
// if n is negative.
func MaxFrameSize(n int) FrameOption {
	if n < 0 {
		panic("codec: negative MaxFrameSize")
	}
	return func(c *frameConfig) { c.maxSize = n }
}

// LengthPrefixed returns an object stream of binary frames over the byte
// stream s: each frame is a length header (4 bytes, big-endian, by
// default) followed by that many bytes of payload.
//
// Send refuses a payload longer than MaxFrameSize with ErrFrameTooLarge,
// sending nothing; a frame up to 16 KiB goes out with a single Send on s,
// through a buffer reused from frame to frame. Receive returns each payload
// in a new slice the caller owns (empty, not nil, for an empty frame). A
// header announcing more than MaxFrameSize is rejected from the header
// alone, before anything is allocated for it, with an error wrapping
// ErrFrameTooLarge and naming both sizes; a frame within the limit is
// allocated whole once its header has arrived, so a stream never holds more
// than MaxFrameSize (plus 4 KiB of read-ahead) for a frame. End of stream between frames is
// io.EOF; end of stream inside a header or a payload is an error wrapping
// io.ErrUnexpectedEOF. Both break the receive side: that Receive and every
// later one return an error wrapping stream.ErrBroken and the cause.
//
// LengthPrefixed reads through a buffered.Stream; when s is one, its buffer
// is used. See the package documentation for concurrency, cancellation and
// close.
func LengthPrefixed(s stream.ByteStream, opts ...FrameOption) stream.ObjectStream[[]byte] {
	cfg := frameConfig{headerSize: 4, maxSize: DefaultMaxFrameSize}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.headerSize < 8 {
		if limit := uint64(1)<<(8*cfg.headerSize) - 1; uint64(cfg.maxSize) > limit {
			cfg.maxSize = int(limit)
		}
	}
	return &frameStream{
		framer:     newFramer("length-prefixed", s),
		headerSize: cfg.headerSize,
		little:     cfg.little,
		maxSize:    cfg.maxSize,
		pending:    -1,
	}
}

// frameStream is the stream LengthPrefixed returns.
type frameStream struct {
	framer
	headerSize int
	maxSize    int
	little     bool

	header [8]byte // guarded by send: the header of a frame sent in two pieces

	// pending is the payload length announced by a header already consumed,
	// or -1. Keeping it lets a Receive cancelled during the payload resume
	// with the next call. Guarded by the receive slot.
	pending int
}

// Receive returns the next frame's payload; see LengthPrefixed.
func (f *frameStream) Receive(ctx context.Context) ([]byte, error) {
	slot, err := f.beginReceive(ctx)
	if err != nil {
		return nil, err
	}
	if p := f.bufferedFrame(slot); p != nil {
		// Fast path: nothing in it can panic, so no defer is needed.
		slot.Release()
		return p, nil
	}
	defer slot.Release()
	return f.receive(ctx, slot)
}

// bufferedFrame decodes a whole frame, header and payload, from the bytes
// already buffered, in one step and without reading the transport. It
// returns nil when the frame is not wholly buffered (or its header is
// already consumed, or announces too much): receive deals with those.
func (f *frameStream) bufferedFrame(slot buffered.Slot) []byte {
	b := slot.BufferedView()
	if f.pending >= 0 || len(b) < f.headerSize {
		return nil
	}
	n := f.decodeLength(b[:f.headerSize])
	if n > uint64(f.maxSize) || n > uint64(len(b)-f.headerSize) {
		return nil
	}
	p := make([]byte, n) // not nil, even for an empty frame
	copy(p, b[f.headerSize:])
	slot.Discard(f.headerSize + int(n))
	return p
}

// receive reads the frame that bufferedFrame could not, through the
// transport, resuming after a header consumed by a cancelled Receive.
func (f *frameStream) receive(ctx context.Context, slot buffered.Slot) ([]byte, error) {
	if f.pending < 0 {
		if err := f.receiveHeader(ctx, slot); err != nil {
			return nil, err
		}
	}
	p, err := slot.ReceiveExactly(ctx, f.pending)
	if err != nil {
		if err == io.EOF || errors.Is(err, buffered.ErrIncompleteRead) {
			return nil, f.breakReceive(fmt.Errorf("stream ended inside a %d-byte frame: %w", f.pending, io.ErrUnexpectedEOF))
		}
		return nil, f.fail(opReceive, err)
	}
	f.pending = -1
	return p, nil
}

// receiveHeader reads and checks a frame header and sets f.pending.
func (f *frameStream) receiveHeader(ctx context.Context, slot buffered.Slot) error {
	h, err := slot.ReceiveExactlyView(ctx, f.headerSize)
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, buffered.ErrIncompleteRead):
		return f.breakReceive(fmt.Errorf("stream ended inside a %d-byte frame header: %w", f.headerSize, io.ErrUnexpectedEOF))
	case err != nil:
		return f.fail(opReceive, err)
	}
	n := f.decodeLength(h)
	if n > uint64(f.maxSize) {
		return f.breakReceive(fmt.Errorf("%w: header announces %d bytes, over the limit of %d", ErrFrameTooLarge, n, f.maxSize))
	}
	f.pending = int(n)
	return nil
}

func (f *frameStream) decodeLength(h []byte) uint64 {
	if f.little {
		switch f.headerSize {
		case 1:
			return uint64(h[0])
		case 2:
			return uint64(binary.LittleEndian.Uint16(h))
		case 4:
			return uint64(binary.LittleEndian.Uint32(h))
		}
		return binary.LittleEndian.Uint64(h)
	}
	switch f.headerSize {
	case 1:
		return uint64(h[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(h))
	case 4:
		return uint64(binary.BigEndian.Uint32(h))
	}
	return binary.BigEndian.Uint64(h)
}

// encodeLength writes the header for an n-byte payload into h. Decoding
// and encoding switch on the concrete byte orders rather than going through
// binary.ByteOrder, so that the calls inline.
func (f *frameStream) encodeLength(h []byte, n int) {
	if f.little {
		switch f.headerSize {
		case 1:
			h[0] = byte(n)
		case 2:
			binary.LittleEndian.PutUint16(h, uint16(n))
		case 4:
			binary.LittleEndian.PutUint32(h, uint32(n))
		default:
			binary.LittleEndian.PutUint64(h, uint64(n))
		}
		return
	}
	switch f.headerSize {
	case 1:
		h[0] = byte(n)
	case 2:
		binary.BigEndian.PutUint16(h, uint16(n))
	case 4:
		binary.BigEndian.PutUint32(h, uint32(n))
	default:
		binary.BigEndian.PutUint64(h, uint64(n))
	}
}

// Send sends p as one frame; see LengthPrefixed.
func (f *frameStream) Send(ctx context.Context, p []byte) error {
	if ctx.Err() != nil || !f.enterSend() {
		// Slow path: beginSend says why, or takes the slot if it came free.
		if err := f.beginSend(ctx); err != nil {
			return err
		}
	} else if f.sendErr != nil {
		f.send.Release()
		return f.fail(opSend, f.sendErr)
	}
	defer f.send.Release() // kept: the transport's Send may panic
	if len(p) > f.maxSize {
		return f.fail(opSend, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrFrameTooLarge, len(p), f.maxSize))
	}
	total := f.headerSize + len(p)
	if total > coalesceLimit {
		h := f.header[:f.headerSize]
		f.encodeLength(h, len(p))
		if err := f.write(ctx, h); err != nil {
			return err
		}
		return f.write(ctx, p)
	}
	if cap(f.sendBuf) < total {
		f.sendBuf = make([]byte, max(total, min(2*cap(f.sendBuf), coalesceLimit)))
	}
	buf := f.sendBuf[:total]
	f.encodeLength(buf, len(p))
	copy(buf[f.headerSize:], p)
	if err := f.out.Send(ctx, buf); err != nil { // f.write, without the call
		return f.sendFailed(err)
	}
	return nil
}
