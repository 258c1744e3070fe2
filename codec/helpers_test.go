package codec

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

var bg = context.Background()

// pipe returns a memory byte pipe with a bufferSize-byte buffer each way,
// closed when the test ends.
func pipe(t *testing.T, bufferSize int) (a, b *memory.BytePipeEnd) {
	t.Helper()
	a, b = memory.NewBytePipe(bufferSize)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// readAll receives from s until end of stream.
func readAll(t *testing.T, s stream.ByteReceiver) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Receive(bg, buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("readAll: %v", err)
		}
	}
}

// soon runs f in a goroutine and returns its result channel.
func soon[T any](f func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return ch
}

// settle lets a goroutine started just before reach its blocking point.
func settle() { time.Sleep(20 * time.Millisecond) }

var testAttr = stream.NewAttribute[string]("codec test")

// hooked is a byte stream over another that answers testAttr, counts
// Sends and Closes, and fails Sends while failSends is set.
type hooked struct {
	stream.ByteStream
	sends     atomic.Int32
	closes    atomic.Int32
	failSends atomic.Bool
}

var errHook = errors.New("hooked: injected failure")

func (h *hooked) Send(ctx context.Context, p []byte) error {
	h.sends.Add(1)
	if h.failSends.Load() {
		return errHook
	}
	return h.ByteStream.Send(ctx, p)
}

func (h *hooked) Close() error {
	h.closes.Add(1)
	return h.ByteStream.Close()
}

func (h *hooked) Extra(key any) (any, bool) {
	if key == testAttr {
		return "hooked", true
	}
	return stream.ForwardExtra(h.ByteStream, key)
}

// sink is a byte stream that discards what is sent and never has data.
type sink struct{ sends int }

func (s *sink) Send(context.Context, []byte) error { s.sends++; return nil }
func (s *sink) Receive(context.Context, []byte) (int, error) {
	return 0, io.EOF
}
func (s *sink) Close() error      { return nil }
func (s *sink) CloseWrite() error { return nil }
