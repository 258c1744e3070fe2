package text_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// watchdog bounds how long a test waits for an event that should come at
// once; reaching it means a hang.
const watchdog = 5 * time.Second

// chunkSource is a ByteReceiver that hands out scripted chunks, one per
// Receive (split further when p is shorter), then io.EOF. It records the
// largest buffer it was asked to fill.
type chunkSource struct {
	chunks  [][]byte
	maxAsk  int
	calls   int
	closed  bool
	endWith error // returned instead of io.EOF when set
}

func chunks(parts ...[]byte) *chunkSource { return &chunkSource{chunks: parts} }

func (c *chunkSource) Receive(_ context.Context, p []byte) (int, error) {
	c.calls++
	c.maxAsk = max(c.maxAsk, len(p))
	if c.closed {
		return 0, stream.ErrClosed
	}
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		if c.endWith != nil {
			return 0, c.endWith
		}
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	return n, nil
}

func (c *chunkSource) Close() error { c.closed = true; return nil }

// splitAt cuts b at the given increasing positions.
func splitAt(b []byte, cuts ...int) [][]byte {
	var parts [][]byte
	prev := 0
	for _, c := range cuts {
		parts = append(parts, b[prev:c])
		prev = c
	}
	return append(parts, b[prev:])
}

// byteAtATime cuts b into one-byte chunks.
func byteAtATime(b []byte) [][]byte {
	parts := make([][]byte, len(b))
	for i := range b {
		parts[i] = b[i : i+1]
	}
	return parts
}

// receiver is what drain reads from.
type receiver interface {
	Receive(ctx context.Context) (string, error)
}

// drain receives until an error, checking that no piece is empty or invalid
// UTF-8, and returns the text and that error.
func drain(t testing.TB, r receiver) (string, error) {
	t.Helper()
	var all []byte
	for i := 0; ; i++ {
		s, err := r.Receive(context.Background())
		if err != nil {
			require.Empty(t, s, "text returned together with an error")
			return string(all), err
		}
		require.NotEmpty(t, s, "Receive returned \"\" without an error")
		require.True(t, utf8.ValidString(s), "piece %q is not valid UTF-8", s)
		all = append(all, s...)
		require.Less(t, i, 1<<20, "Receive does not stop")
	}
}

// hookedStream wraps a byte stream, reporting when a Receive or Send reaches
// it and answering one attribute of its own.
type hookedStream struct {
	stream.ByteStream
	receiving chan struct{} // closed when the first Receive enters
	sending   chan struct{} // closed when the first Send enters
	entries   chan struct{} // gets a token each time a Receive enters
	recvOnce  sync.Once
	sendOnce  sync.Once
}

// innerName is an attribute only hookedStream answers.
var innerName = stream.NewAttribute[string]("test inner name")

func hook(s stream.ByteStream) *hookedStream {
	return &hookedStream{
		ByteStream: s,
		receiving:  make(chan struct{}),
		sending:    make(chan struct{}),
		entries:    make(chan struct{}, 1024),
	}
}

func (h *hookedStream) Receive(ctx context.Context, p []byte) (int, error) {
	h.recvOnce.Do(func() { close(h.receiving) })
	select {
	case h.entries <- struct{}{}:
	default:
	}
	return h.ByteStream.Receive(ctx, p)
}

func (h *hookedStream) Send(ctx context.Context, p []byte) error {
	h.sendOnce.Do(func() { close(h.sending) })
	return h.ByteStream.Send(ctx, p)
}

func (h *hookedStream) Extra(key any) (any, bool) {
	if key == any(innerName) {
		return "hooked", true
	}
	return stream.ForwardExtra(h.ByteStream, key)
}

// waitFor fails the test unless ch is closed within the watchdog.
func waitFor(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(watchdog):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// result is a Receive's outcome delivered from another goroutine.
type result struct {
	s   string
	err error
}

func receiveAsync(ctx context.Context, r receiver) <-chan result {
	ch := make(chan result, 1)
	go func() {
		s, err := r.Receive(ctx)
		ch <- result{s, err}
	}()
	return ch
}

func await[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		t.Fatal("timed out waiting for a blocked call to return")
		panic("unreachable")
	}
}

// isBroken reports whether err wraps stream.ErrBroken.
func isBroken(err error) bool { return errors.Is(err, stream.ErrBroken) }
