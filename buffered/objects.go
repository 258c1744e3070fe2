package buffered

import (
	"context"

	"github.com/anyio-go/anyio/stream"
)

// FromObjects returns a Receiver reading the byte chunks delivered by r, as
// anyio's BufferedByteReceiveStream does over an object stream of bytes.
// Chunk boundaries carry no meaning: a chunk longer than a read asks for is
// split and the surplus kept for the next read, and empty chunks are
// skipped. The Receiver owns r and the chunks it delivers (they are read,
// never modified). End of stream, cancellation and close are r's: the end
// of r is the end of the byte stream.
func FromObjects(r stream.ObjectReceiver[[]byte]) *Receiver {
	return NewReceiver(&chunkReceiver{src: r})
}

// chunkReceiver adapts an object receiver of byte chunks to a byte receiver.
// The Receiver wrapping it serialises its calls, so it needs no guard.
type chunkReceiver struct {
	src     stream.ObjectReceiver[[]byte]
	pending []byte // the unread rest of the last chunk
}

// Receive copies from the pending chunk, fetching the next non-empty chunk
// when it is used up. Keeping the rest of a long chunk by reference rather
// than copying it into the Receiver's buffer means the buffer stays as small
// as the reads need.
func (c *chunkReceiver) Receive(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(c.pending) == 0 {
		chunk, err := c.src.Receive(ctx)
		if err != nil {
			return 0, err
		}
		c.pending = chunk
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.pending = nil // let the used-up chunk go
	}
	return n, nil
}

func (c *chunkReceiver) Close() error {
	return c.src.Close()
}

func (c *chunkReceiver) Extra(key any) (any, bool) {
	return stream.ForwardExtra(c.src, key)
}
