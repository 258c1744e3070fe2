package buffered

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

var bg = context.Background()

func TestReceiveServesBufferFirst(t *testing.T) {
	src := script("xyz")
	r := NewReceiver(src)
	r.Feed([]byte("abc"))

	p := make([]byte, 10)
	n, err := r.Receive(bg, p)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(p[:n]))
	assert.Zero(t, src.calls, "buffered bytes must be served without touching the transport")

	n, err = r.Receive(bg, p)
	require.NoError(t, err)
	assert.Equal(t, "xyz", string(p[:n]))

	n, err = r.Receive(bg, p)
	assert.Zero(t, n)
	assert.Equal(t, io.EOF, err, "EOF must be unwrapped")
}

func TestReceivePartialBuffer(t *testing.T) {
	r := NewReceiver(script())
	r.Feed([]byte("abcdef"))
	p := make([]byte, 4)
	n, err := r.Receive(bg, p)
	require.NoError(t, err)
	assert.Equal(t, "abcd", string(p[:n]))
	assert.Equal(t, "ef", string(r.Buffered()))
}

func TestReceiveEmptyNeverBlocks(t *testing.T) {
	c := newChanReceiver()
	r := NewReceiver(c)
	n, err := r.Receive(bg, nil)
	assert.Zero(t, n)
	assert.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.Receive(bg, nil)
	assert.ErrorIs(t, err, stream.ErrClosed)
}

func TestFeedBeforeReceive(t *testing.T) {
	// anyio's test_feed_data: fed bytes are read as if they had arrived.
	r := FromObjects(objectsOf("gh\r\n"))
	r.Feed([]byte("abcd\r\nef"))
	line, err := r.ReceiveUntil(bg, []byte("\r\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, "abcd", string(line))
	line, err = r.ReceiveUntil(bg, []byte("\r\n"), 10)
	require.NoError(t, err)
	assert.Equal(t, "efgh", string(line))
}

func TestFeedCopies(t *testing.T) {
	r := NewReceiver(script())
	p := []byte("abc")
	r.Feed(p)
	p[0] = 'X'
	r.Feed(nil)
	assert.Equal(t, "abc", string(r.Buffered()))
}

func TestFeedAppendsAfterBuffered(t *testing.T) {
	r := NewReceiver(script("\n", "tail"))
	r.Feed([]byte("one"))
	_, err := r.ReceiveExactly(bg, 1)
	require.NoError(t, err)
	r.Feed([]byte("two"))
	line, err := r.ReceiveUntil(bg, []byte("\n"), 100)
	require.NoError(t, err)
	assert.Equal(t, "netwo", string(line))
}

func TestBufferedIsACopy(t *testing.T) {
	r := NewReceiver(script())
	assert.Nil(t, r.Buffered())
	r.Feed([]byte("abc"))
	b := r.Buffered()
	b[0] = 'X'
	assert.Equal(t, "abc", string(r.Buffered()))
}

func TestAlreadyCancelledConsumesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	cancel()
	src := script("more")
	r := NewReceiver(src)
	r.Feed([]byte("ab\ncd"))

	_, err := r.Receive(ctx, make([]byte, 4))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = r.ReceiveExactly(ctx, 1)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = r.ReceiveExactlyView(ctx, 1)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = r.ReceiveUntil(ctx, []byte("\n"), 10)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = r.ReceiveUntilView(ctx, []byte("\n"), 10)
	assert.ErrorIs(t, err, context.Canceled)

	assert.Equal(t, "ab\ncd", string(r.Buffered()))
	assert.Zero(t, src.calls)
}

func TestCloseMakesEverythingClosed(t *testing.T) {
	c := newChanReceiver()
	r := NewReceiver(c)
	r.Feed([]byte("buffered\n"))
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close is idempotent")
	assert.EqualValues(t, 2, c.closes.Load(), "Close closes the transport")

	_, err := r.Receive(bg, make([]byte, 4))
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = r.ReceiveExactly(bg, 1)
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = r.ReceiveExactlyView(bg, 1)
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = r.ReceiveUntil(bg, []byte("\n"), 10)
	assert.ErrorIs(t, err, stream.ErrClosed)
	_, err = r.ReceiveUntilView(bg, []byte("\n"), 10)
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.ErrorIs(t, err, net.ErrClosed)

	r.Feed([]byte("ignored"))
	assert.Nil(t, r.Buffered(), "Close releases the buffer and Feed after Close discards")
}

// Close may be called at any time from any goroutine: Feed and Buffered
// racing with it see a closed Receiver, never a "concurrent read".
func TestCloseRacesFeedAndBuffered(t *testing.T) {
	for range 200 {
		r := NewReceiver(newChanReceiver())
		r.Feed([]byte("x"))
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 20 {
				r.Close()
			}
		})
		wg.Go(func() {
			for range 20 {
				r.Feed([]byte("y"))
				r.Buffered()
			}
		})
		wg.Wait()
		assert.Nil(t, r.Buffered())
	}
}

func TestCloseWakesBlockedRead(t *testing.T) {
	for name, read := range blockingReads() {
		t.Run(name, func(t *testing.T) {
			c := newChanReceiver()
			r := NewReceiver(c)
			errc := make(chan error, 1)
			go func() { errc <- read(bg, r) }()
			<-c.entered
			start := time.Now()
			require.NoError(t, r.Close())
			err := <-errc
			assert.ErrorIs(t, err, stream.ErrClosed)
			assert.Less(t, time.Since(start), time.Second)
		})
	}
}

func TestConcurrentReadIsBusy(t *testing.T) {
	for name, read := range blockingReads() {
		t.Run(name, func(t *testing.T) {
			c := newChanReceiver()
			r := NewReceiver(c)
			errc := make(chan error, 1)
			go func() { errc <- read(bg, r) }()
			<-c.entered

			for other, second := range blockingReads() {
				assert.ErrorIs(t, second(bg, r), stream.ErrBusy, other)
			}
			assert.Panics(t, func() { r.Feed([]byte("x")) })
			assert.Panics(t, func() { r.Buffered() })

			c.ch <- []byte("0123456789\nmore")
			assert.NoError(t, <-errc, "the first read is unaffected")
			_, err := r.Receive(bg, make([]byte, 1))
			assert.NoError(t, err, "busy is not sticky")
			require.NoError(t, r.Close())
		})
	}
}

// blockingReads lists every read; each blocks on an empty transport and
// completes once "0123456789\n" arrives.
func blockingReads() map[string]func(context.Context, *Receiver) error {
	return map[string]func(context.Context, *Receiver) error{
		"Receive": func(ctx context.Context, r *Receiver) error {
			_, err := r.Receive(ctx, make([]byte, 4))
			return err
		},
		"ReceiveExactly": func(ctx context.Context, r *Receiver) error {
			_, err := r.ReceiveExactly(ctx, 4)
			return err
		},
		"ReceiveExactlyView": func(ctx context.Context, r *Receiver) error {
			_, err := r.ReceiveExactlyView(ctx, 4)
			return err
		},
		"ReceiveUntil": func(ctx context.Context, r *Receiver) error {
			_, err := r.ReceiveUntil(ctx, []byte("\n"), 100)
			return err
		},
		"ReceiveUntilView": func(ctx context.Context, r *Receiver) error {
			_, err := r.ReceiveUntilView(ctx, []byte("\n"), 100)
			return err
		},
	}
}

func TestCancelBlockedRead(t *testing.T) {
	for name, read := range blockingReads() {
		t.Run(name, func(t *testing.T) {
			c := newChanReceiver()
			r := NewReceiver(c)
			ctx, cancel := context.WithCancel(bg)
			errc := make(chan error, 1)
			go func() { errc <- read(ctx, r) }()
			<-c.entered
			cancel()
			assert.ErrorIs(t, <-errc, context.Canceled)

			c.ch <- []byte("0123456789\n")
			assert.NoError(t, read(bg, r), "the receiver stays usable after cancellation")
			require.NoError(t, r.Close())
		})
	}
}

func TestExtraForwards(t *testing.T) {
	r := NewReceiver(newChanReceiver())
	v, err := stream.Extra(r, testAttr)
	require.NoError(t, err)
	assert.Equal(t, "from transport", v)
	_, err = stream.Extra(r, stream.RemoteAddr)
	assert.ErrorIs(t, err, stream.ErrAttributeNotFound)

	v, err = stream.Extra(FromObjects(objectsOf()), testAttr)
	require.NoError(t, err)
	assert.Equal(t, "from objects", v)

	_, err = stream.Extra(NewReceiver(script()), testAttr)
	assert.ErrorIs(t, err, stream.ErrAttributeNotFound)
}

func TestFromObjectsSplitsChunks(t *testing.T) {
	o := objectsOf("abcdefgh", "", "ij")
	r := FromObjects(o)
	p := make([]byte, 3)
	n, err := r.Receive(bg, p)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(p[:n]))
	got, err := r.ReceiveExactly(bg, 5)
	require.NoError(t, err)
	assert.Equal(t, "defgh", string(got))
	got, err = r.ReceiveExactly(bg, 2)
	require.NoError(t, err, "empty chunks are skipped")
	assert.Equal(t, "ij", string(got))
	_, err = r.ReceiveExactly(bg, 1)
	assert.Equal(t, io.EOF, err)

	require.NoError(t, r.Close())
	assert.True(t, o.closed, "Close closes the object receiver")
}

func TestFromObjectsKeepsBufferSmall(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20)
	r := FromObjects(&objects{chunks: [][]byte{big}})
	for range 100 {
		got, err := r.ReceiveExactly(bg, 10)
		require.NoError(t, err)
		require.Len(t, got, 10)
	}
	assert.LessOrEqual(t, len(r.buf), defaultSize, "the surplus of a chunk is not copied into the buffer")
}

func TestTransportErrorsPassThrough(t *testing.T) {
	boom := errors.New("boom")
	src := script("ab")
	src.end = boom
	r := NewReceiver(src)
	_, err := r.ReceiveExactly(bg, 4)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "ab", string(r.Buffered()))
}

// panicky is a transport whose first Receive panics; later ones deliver
// "0123456789\n" and then end.
type panicky struct {
	panicked bool
	data     []byte
}

func (p *panicky) Receive(_ context.Context, b []byte) (int, error) {
	if !p.panicked {
		p.panicked = true
		panic("panicky: transport failure")
	}
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.data)
	p.data = p.data[n:]
	return n, nil
}

func (p *panicky) Close() error { return nil }

// A read whose transport panics gives the receive slot back as the panic
// unwinds, so that a caller that recovers can go on reading.
func TestTransportPanicReleasesSlot(t *testing.T) {
	reads := blockingReads()
	reads["SplitSeq"] = func(ctx context.Context, r *Receiver) error {
		for _, err := range r.SplitSeq(ctx, []byte("\n"), 100) {
			return err
		}
		return nil
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			r := NewReceiver(&panicky{data: []byte("0123456789\n")})
			assert.Panics(t, func() { _ = read(bg, r) })
			assert.NoError(t, read(bg, r), "the slot is free again")
		})
	}
}
