package tls_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// TestCloseMatrix closes one end after sending data and checks how the other
// end sees the end of the stream, for every combination of the two ends'
// StandardCompatible settings.
func TestCloseMatrix(t *testing.T) {
	p := newPKI(t)
	for _, closerStrict := range []bool{true, false} {
		for _, readerStrict := range []bool{true, false} {
			name := fmt.Sprintf("closer=%s/reader=%s", mode(closerStrict), mode(readerStrict))
			t.Run(name, func(t *testing.T) {
				ctx := testContext(t)
				a, b := memory.NewBytePipe(64 << 10)
				c, s := wrapBoth(ctx, a, b, p.clientConfig(), p.serverConfig(),
					[]tls.Option{tls.StandardCompatible(closerStrict)},
					[]tls.Option{tls.StandardCompatible(readerStrict)})
				require.NoError(t, c.err)
				require.NoError(t, s.err)
				defer s.s.Close()
				require.NoError(t, c.s.Send(ctx, []byte("data")))
				require.NoError(t, c.s.Close())

				got, err := receiveAll(ctx, s.s)
				assert.Equal(t, "data", string(got))
				if !closerStrict && readerStrict {
					// No close_notify came: the end could be a truncation.
					require.ErrorIs(t, err, stream.ErrBroken)
					_, again := s.s.Receive(ctx, make([]byte, 1))
					require.ErrorIs(t, again, stream.ErrBroken, "broken is sticky")
				} else {
					require.Equal(t, io.EOF, err, "io.EOF, unwrapped")
					_, again := s.s.Receive(ctx, make([]byte, 1))
					require.Equal(t, io.EOF, again, "EOF is sticky")
				}
			})
		}
	}
}

func mode(strict bool) string {
	if strict {
		return "standard"
	}
	return "lenient"
}

// TestTransportTornDown ends the transport under a standard-compatible
// stream without close_notify: at a record boundary and inside a record.
func TestTransportTornDown(t *testing.T) {
	p := newPKI(t)
	for _, strict := range []bool{true, false} {
		t.Run(mode(strict)+"/at record boundary", func(t *testing.T) {
			ctx := testContext(t)
			a, b := memory.NewBytePipe(64 << 10)
			c, s := wrapBoth(ctx, a, b, p.clientConfig(), p.serverConfig(), nil,
				[]tls.Option{tls.StandardCompatible(strict)})
			require.NoError(t, c.err)
			require.NoError(t, s.err)
			defer c.s.Close()
			defer s.s.Close()
			require.NoError(t, c.s.Send(ctx, []byte("data")))
			require.NoError(t, a.Close()) // under the TLS stream
			got, err := receiveAll(ctx, s.s)
			assert.Equal(t, "data", string(got))
			if strict {
				require.ErrorIs(t, err, stream.ErrBroken)
			} else {
				require.Equal(t, io.EOF, err)
			}
		})
		t.Run(mode(strict)+"/inside a record", func(t *testing.T) {
			ctx := testContext(t)
			a, b := memory.NewBytePipe(64 << 10)
			c, s := wrapBoth(ctx, a, b, p.clientConfig(), p.serverConfig(), nil,
				[]tls.Option{tls.StandardCompatible(strict)})
			require.NoError(t, c.err)
			require.NoError(t, s.err)
			defer c.s.Close()
			defer s.s.Close()
			// Half a record header on the client's transport, then the
			// end: a truncation in any mode.
			require.NoError(t, a.Send(ctx, []byte{23, 3}))
			require.NoError(t, a.Close())
			_, err := receiveAll(ctx, s.s)
			require.ErrorIs(t, err, stream.ErrBroken)
		})
	}
}

func TestCloseWriteHalfClose(t *testing.T) {
	p := newPKI(t)
	ctx := testContext(t)
	for _, strict := range []bool{true, false} {
		t.Run(mode(strict), func(t *testing.T) {
			c, s := memoryPair(t, 64<<10, p.clientConfig(), p.serverConfig(), tls.StandardCompatible(strict))
			require.NoError(t, c.Send(ctx, []byte("question")))
			require.NoError(t, c.CloseWrite())
			require.NoError(t, c.CloseWrite(), "idempotent")
			require.ErrorIs(t, c.Send(ctx, []byte("x")), stream.ErrClosed)
			require.ErrorIs(t, c.Send(ctx, nil), stream.ErrClosed)

			got, err := receiveAll(ctx, s)
			require.Equal(t, io.EOF, err)
			require.Equal(t, "question", string(got))
			// The other direction still works.
			require.NoError(t, s.Send(ctx, []byte("answer")))
			require.NoError(t, s.Close())
			got, err = receiveAll(ctx, c)
			require.Equal(t, io.EOF, err)
			require.Equal(t, "answer", string(got))
		})
	}
}

func TestCloseIsBoundedOnSilentPeer(t *testing.T) {
	p := newPKI(t)
	// Synchronous pipe and a peer that never reads: close_notify cannot
	// be delivered.
	c, s := memoryPair(t, 0, p.clientConfig(), p.serverConfig())
	start := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(start), time.Second)
	_, err := receiveAll(testContext(t), s)
	require.ErrorIs(t, err, stream.ErrBroken, "no close_notify arrived")
}

func TestCloseWakesBlockedCalls(t *testing.T) {
	p := newPKI(t)
	c, _ := memoryPair(t, 0, p.clientConfig(), p.serverConfig())
	recv := make(chan error, 1)
	send := make(chan error, 1)
	go func() {
		_, err := c.Receive(context.Background(), make([]byte, 10))
		recv <- err
	}()
	go func() { send <- c.Send(context.Background(), make([]byte, 1<<20)) }()
	time.Sleep(10 * time.Millisecond) // let both block
	require.NoError(t, c.Close())
	require.ErrorIs(t, <-recv, stream.ErrClosed)
	require.ErrorIs(t, <-send, stream.ErrClosed)
	require.NoError(t, c.Close(), "idempotent")
	_, err := c.Receive(context.Background(), nil)
	require.ErrorIs(t, err, stream.ErrClosed)
}

func TestUnwrapOverMemory(t *testing.T) {
	p := newPKI(t)
	ctx := testContext(t)
	a, b := memory.NewBytePipe(64 << 10)
	c, s := wrapBoth(ctx, a, b, p.clientConfig(), p.serverConfig(), nil, nil)
	require.NoError(t, c.err)
	require.NoError(t, s.err)

	require.NoError(t, c.s.Send(ctx, []byte("secret")))
	require.Equal(t, "secret", string(receiveN(ctx, t, s.s, 6)))
	// The client ends TLS first, the server answers and goes on in
	// plaintext at once, before the client reads its close_notify.
	require.NoError(t, c.s.CloseWrite())
	st, rest, err := s.s.Unwrap(ctx)
	require.NoError(t, err)
	require.Same(t, stream.ByteStream(b), st)
	require.Empty(t, rest)
	require.NoError(t, st.Send(ctx, []byte("plain text")))

	ct, rest, err := c.s.Unwrap(ctx)
	require.NoError(t, err)
	require.Same(t, stream.ByteStream(a), ct)
	require.Equal(t, "plain text", string(rest), "bytes past close_notify come back")

	// Both TLS streams are done; closing them leaves the transports open.
	require.NoError(t, c.s.Close())
	require.NoError(t, s.s.Close())
	require.ErrorIs(t, c.s.Send(ctx, []byte("x")), stream.ErrClosed)
	require.NoError(t, ct.Send(ctx, []byte("reply")))
	require.Equal(t, "reply", string(receiveN(ctx, t, st, 5)))
	ct.Close()
	st.Close()
}

func TestUnwrapFailures(t *testing.T) {
	p := newPKI(t)

	t.Run("application data before close_notify", func(t *testing.T) {
		ctx := testContext(t)
		c, s := memoryPair(t, 64<<10, p.clientConfig(), p.serverConfig())
		require.NoError(t, s.Send(ctx, []byte("unread")))
		require.NoError(t, s.CloseWrite())
		_, _, err := c.Unwrap(ctx)
		require.ErrorIs(t, err, stream.ErrBroken)
	})

	t.Run("end without close_notify", func(t *testing.T) {
		ctx := testContext(t)
		a, b := memory.NewBytePipe(64 << 10)
		c, s := wrapBoth(ctx, a, b, p.clientConfig(), p.serverConfig(), nil, nil)
		require.NoError(t, c.err)
		require.NoError(t, s.err)
		defer c.s.Close()
		b.Close()
		_, _, err := c.s.Unwrap(ctx)
		require.ErrorIs(t, err, stream.ErrBroken)
	})

	t.Run("cancelled, then retried", func(t *testing.T) {
		ctx := testContext(t)
		c, s := memoryPair(t, 64<<10, p.clientConfig(), p.serverConfig())
		short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		_, _, err := c.Unwrap(short)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		_, _, err = s.Unwrap(ctx)
		require.NoError(t, err)
		_, rest, err := c.Unwrap(ctx)
		require.NoError(t, err)
		require.Empty(t, rest)
	})

	t.Run("after close", func(t *testing.T) {
		c, _ := memoryPair(t, 64<<10, p.clientConfig(), p.serverConfig())
		c.Close()
		_, _, err := c.Unwrap(testContext(t))
		require.ErrorIs(t, err, stream.ErrClosed)
	})
}

// A bad record makes crypto/tls answer with an alert from inside Receive.
// When the peer does not read, that alert cannot go out: the Receive still
// ends with its ctx, and Close is still bounded.
func TestAlertToSilentPeerBlocksNothing(t *testing.T) {
	p := newPKI(t)
	a, b := memory.NewBytePipe(0) // synchronous: nothing goes out unread
	c, s := wrapBoth(testContext(t), a, b, p.clientConfig(), p.serverConfig(), nil, nil)
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	defer s.s.Close()

	// An application-data record of garbage, straight onto the wire.
	junk := append([]byte{23, 3, 3, 0, 20}, make([]byte, 20)...)
	sent := make(chan error, 1)
	go func() { sent <- b.Send(context.Background(), junk) }()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.s.Receive(ctx, make([]byte, 64))
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the Receive waited for its alert to go out")
	require.NoError(t, <-sent)

	start = time.Now()
	c.s.Close()
	assert.Less(t, time.Since(start), 5*time.Second, "Close waited for the alert to go out")
}
