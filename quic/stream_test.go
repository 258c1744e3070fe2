package quic_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// requireStreamError checks that err is stream.ErrBroken caused by the
// peer's reset or stop with code.
func requireStreamError(t *testing.T, err error, code uint64) {
	t.Helper()
	require.ErrorIs(t, err, stream.ErrBroken)
	var se *quic.StreamError
	require.ErrorAs(t, err, &se)
	require.True(t, se.Remote)
	require.EqualValues(t, code, se.ErrorCode)
}

// sendUntilError sends until s fails, which it must within a few seconds.
func sendUntilError(t *testing.T, s stream.ByteSender) error {
	t.Helper()
	ctx := testCtx(t)
	chunk := make([]byte, 1024)
	for {
		if err := s.Send(ctx, chunk); err != nil {
			return err
		}
	}
}

func TestAbortCarriesCode(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	a, b := streamPair(t, client, server)
	ctx := testCtx(t)

	require.NoError(t, a.Abort(42))
	_, err := b.Receive(ctx, make([]byte, 8))
	requireStreamError(t, err, 42)
	_, err = b.Receive(ctx, make([]byte, 8))
	requireStreamError(t, err, 42) // sticky
	requireStreamError(t, sendUntilError(t, b), 42)

	_, err = a.Receive(ctx, make([]byte, 8))
	require.ErrorIs(t, err, stream.ErrClosed)
	require.ErrorIs(t, a.Send(ctx, []byte("x")), stream.ErrClosed)
	require.NoError(t, a.Close())
}

// TestCloseStopsPeer: Close delivers what was sent, then EOF, and the
// peer's Sends fail with code 0.
func TestCloseStopsPeer(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	a, b := streamPair(t, client, server)
	ctx := testCtx(t)

	require.NoError(t, a.Send(ctx, []byte("last words")))
	require.NoError(t, a.Close())
	got, err := io.ReadAll(stream.Reader(ctx, b))
	require.NoError(t, err)
	require.Equal(t, "last words", string(got))
	requireStreamError(t, sendUntilError(t, b), 0)
}

// TestCloseDuringSendResets: a Send blocked on flow control is woken by
// Close, and the peer sees a reset rather than a clean end.
func TestCloseDuringSendResets(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, smallWindows, smallWindows)
	a, b := streamPair(t, client, server)
	ctx := testCtx(t)

	sent := make(chan error, 1)
	go func() { sent <- a.Send(ctx, make([]byte, 1<<20)) }()
	letBlock()
	require.NoError(t, a.Close())
	require.ErrorIs(t, <-sent, stream.ErrClosed)
	_, err := io.Copy(io.Discard, stream.Reader(ctx, b))
	requireStreamError(t, err, 0)
}

func TestUniStreams(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	ctx := testCtx(t)

	out, err := client.OpenUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Send(ctx, []byte("one way")))
	require.NoError(t, out.Close())
	require.NoError(t, out.Close())
	require.ErrorIs(t, out.Send(ctx, []byte("x")), stream.ErrClosed)
	in, err := server.AcceptUniStream(ctx)
	require.NoError(t, err)
	got, err := io.ReadAll(stream.Reader(ctx, in))
	require.NoError(t, err)
	require.Equal(t, "one way", string(got))
	require.NoError(t, in.Close())
	_, err = in.Receive(ctx, make([]byte, 1))
	require.ErrorIs(t, err, stream.ErrClosed)

	// The first client-initiated unidirectional stream has ID 2; a
	// stream forwards other attributes to its connection.
	require.EqualValues(t, 2, stream.ExtraOr(out, quic.StreamID, -1))
	require.EqualValues(t, 2, stream.ExtraOr(in, quic.StreamID, -1))
	require.Equal(t, client.RemoteAddr(), stream.ExtraOr(out, stream.RemoteAddr, nil))
	require.Same(t, server, in.Conn())
	require.Same(t, client, out.Conn())

	// A receiver that aborts stops the sender with its code.
	out, err = client.OpenUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Send(ctx, []byte("x")))
	in, err = server.AcceptUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, in.Abort(9))
	requireStreamError(t, sendUntilError(t, out), 9)

	// A sender that aborts resets the receiver with its code.
	out, err = client.OpenUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Send(ctx, []byte("x")))
	in, err = server.AcceptUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Abort(5))
	_, err = io.Copy(io.Discard, stream.Reader(ctx, in))
	requireStreamError(t, err, 5)
	require.ErrorIs(t, out.Send(ctx, []byte("x")), stream.ErrClosed)
}

func TestUniStreamBusy(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	ctx := testCtx(t)
	out, err := client.OpenUniStream(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Send(ctx, []byte("x")))
	in, err := server.AcceptUniStream(ctx)
	require.NoError(t, err)
	_, err = in.Receive(ctx, make([]byte, 1))
	require.NoError(t, err)

	first := make(chan error, 1)
	go func() {
		_, err := in.Receive(ctx, make([]byte, 1))
		first <- err
	}()
	letBlock()
	_, err = in.Receive(ctx, make([]byte, 1))
	require.ErrorIs(t, err, stream.ErrBusy)
	require.NoError(t, out.Send(ctx, []byte("y")))
	require.NoError(t, <-first)
}

// TestManyConcurrentStreams runs 100 request/response exchanges at once on
// one connection, each on its own stream.
func TestManyConcurrentStreams(t *testing.T) {
	const streams = 100
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.ServeStreams(ctx, echo) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()

	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Go(func() { errs <- exchange(ctx, client, i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// exchange sends a request of 4 KiB derived from i on a new stream, ends
// it, and checks that the whole request comes back.
func exchange(ctx context.Context, c *quic.Conn, i int) error {
	s, err := c.OpenStream(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	req := bytes.Repeat(binary.BigEndian.AppendUint32(nil, uint32(i)), 1024)
	if err := s.Send(ctx, req); err != nil {
		return err
	}
	if err := s.CloseWrite(); err != nil {
		return err
	}
	resp, err := io.ReadAll(stream.Reader(ctx, s))
	if err != nil {
		return err
	}
	if !bytes.Equal(req, resp) {
		return fmt.Errorf("stream %d: got %d bytes back, not the request", i, len(resp))
	}
	return nil
}

// echo sends back everything s receives, then ends its side.
func echo(ctx context.Context, s *quic.Stream) {
	buf := make([]byte, 16<<10)
	for {
		n, err := s.Receive(ctx, buf)
		if err == io.EOF {
			_ = s.CloseWrite()
			return
		}
		if err != nil || s.Send(ctx, buf[:n]) != nil {
			return
		}
	}
}

// TestReceiveDeadlineLeavesStreamUsable: Receives that time out lose
// nothing, and the stream's deadline is cleared for the next call.
func TestReceiveDeadlineLeavesStreamUsable(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	a, b := streamPair(t, client, server)
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := b.Receive(ctx, make([]byte, 8))
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	ctx := testCtx(t)
	require.NoError(t, a.Send(ctx, []byte("late")))
	buf := make([]byte, 8)
	n, err := b.Receive(ctx, buf)
	require.NoError(t, err)
	require.Equal(t, "late", string(buf[:n]))
}

// countingCtx is a context that never ends and counts the functions
// registered with context.AfterFunc that were not stopped.
type countingCtx struct {
	context.Context
	done    chan struct{}
	mu      sync.Mutex
	pending int
}

func newCountingCtx() *countingCtx {
	return &countingCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *countingCtx) Done() <-chan struct{} { return c.done }

// AfterFunc is what context.AfterFunc calls for a context that has it.
func (c *countingCtx) AfterFunc(func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending++
	var once sync.Once
	return func() bool {
		stopped := false
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.pending--
			stopped = true
		})
		return stopped
	}
}

func (c *countingCtx) registered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending
}

// TestEndedStreamReleasesCtx: once a stream ended both ways, it no longer
// holds registrations on the ctx its calls used, even if never closed.
func TestEndedStreamReleasesCtx(t *testing.T) {
	p := newPKI(t)
	client, server := p.pair(t, nil, nil)
	a, b := streamPair(t, client, server)
	ctx := newCountingCtx()
	buf := make([]byte, 8)

	require.NoError(t, a.Send(ctx, []byte("x")))
	_, err := b.Receive(ctx, buf)
	require.NoError(t, err)
	require.NoError(t, b.Send(ctx, []byte("y")))
	_, err = a.Receive(ctx, buf)
	require.NoError(t, err)
	require.Equal(t, 2, ctx.registered(), "one per end: its two directions share it")

	require.NoError(t, a.CloseWrite())
	require.NoError(t, b.CloseWrite())
	_, err = b.Receive(ctx, buf)
	require.Equal(t, io.EOF, err)
	_, err = a.Receive(ctx, buf)
	require.Equal(t, io.EOF, err)
	require.Zero(t, ctx.registered())
}
