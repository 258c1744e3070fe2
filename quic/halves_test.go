package quic

import (
	"context"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/deadline"
)

// fakeStream is a quic-go stream that reads and writes at once, so that a
// test sees the allocations of the halves alone.
type fakeStream struct{}

func (fakeStream) Read(p []byte) (int, error)         { return len(p), nil }
func (fakeStream) Write(p []byte) (int, error)        { return len(p), nil }
func (fakeStream) SetReadDeadline(time.Time) error    { return nil }
func (fakeStream) SetWriteDeadline(time.Time) error   { return nil }
func (fakeStream) Close() error                       { return nil }
func (fakeStream) CancelRead(quicgo.StreamErrorCode)  {}
func (fakeStream) CancelWrite(quicgo.StreamErrorCode) {}

// TestHalvesAllocateNothing: Receive and Send with a ctx that never ends,
// and with a cancellable ctx used again and again, allocate nothing, with
// the connection's registration or the stream's own.
func TestHalvesAllocateNothing(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		var g deadline.Group
		defer g.Close()
		halvesAllocateNothing(t, &g)
	})
	t.Run("stream", func(t *testing.T) { halvesAllocateNothing(t, nil) })
}

func halvesAllocateNothing(t *testing.T, g *deadline.Group) {
	var (
		r  receiveHalf
		s  sendHalf
		sh deadline.Shared
	)
	r.init(fakeStream{}, &sh, g)
	s.init(fakeStream{}, &sh, g)
	buf := make([]byte, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, cx := range []context.Context{context.Background(), ctx} {
		// The first call with a cancellable ctx registers its end.
		_, _ = r.receive(cx, buf)
		_ = s.send(cx, buf)
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := r.receive(cx, buf); err != nil {
				t.Fatal(err)
			}
			if err := s.send(cx, buf); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs)
	}
	r.close(closeCode)
	s.close(closeCode)
}
