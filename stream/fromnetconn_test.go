package stream

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpStreams returns FromNetConn over both ends of a TCP loopback pair.
func tcpStreams(t testing.TB) (ByteStream, ByteStream) {
	a, b := tcpPair(t)
	sa, sb := FromNetConn(a), FromNetConn(b)
	t.Cleanup(func() { sa.Close(); sb.Close() })
	return sa, sb
}

func TestFromNetConnTransfer(t *testing.T) {
	a, b := tcpStreams(t)
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("hello")))
	buf := make([]byte, 5)
	n, err := io.ReadFull(Reader(ctx, b), buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))

	n, err = b.Receive(ctx, nil)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
	require.NoError(t, a.Send(ctx, nil), "an empty send is a no-op")
}

func TestFromNetConnEOF(t *testing.T) {
	a, b := tcpStreams(t)
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("x")))
	require.NoError(t, a.Close())
	buf := make([]byte, 8)
	n, err := b.Receive(ctx, buf)
	require.NoError(t, err)
	assert.Equal(t, "x", string(buf[:n]))
	for range 2 {
		n, err = b.Receive(ctx, buf)
		assert.Equal(t, 0, n)
		assert.Same(t, io.EOF, err, "EOF is returned unwrapped, and sticky")
	}
}

func TestFromNetConnLocalClose(t *testing.T) {
	a, _ := tcpStreams(t)
	ctx := context.Background()
	errc := make(chan error)
	go func() {
		_, err := a.Receive(ctx, make([]byte, 1))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Receive block
	require.NoError(t, a.Close())
	err := <-errc
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, err, net.ErrClosed)

	require.NoError(t, a.Close(), "Close is idempotent")
	_, err = a.Receive(ctx, make([]byte, 1))
	assert.ErrorIs(t, err, ErrClosed)
	_, err = a.Receive(ctx, nil)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, a.Send(ctx, []byte("x")), ErrClosed)
	assert.ErrorIs(t, a.Send(ctx, nil), ErrClosed)
	assert.ErrorIs(t, a.CloseWrite(), ErrClosed)
}

func TestFromNetConnPeerReset(t *testing.T) {
	ca, cb := tcpPair(t)
	a, b := FromNetConn(ca), FromNetConn(cb)
	defer a.Close()
	ctx := context.Background()
	require.NoError(t, cb.SetLinger(0)) // close with a reset
	require.NoError(t, b.Close())
	_, err := a.Receive(ctx, make([]byte, 1))
	require.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Contains(t, err.Error(), "stream: receive:")
	_, err2 := a.Receive(ctx, make([]byte, 1))
	assert.ErrorIs(t, err2, ErrBroken, "broken is sticky")

	var serr error
	for range 1000 {
		if serr = a.Send(ctx, make([]byte, 100)); serr != nil {
			break
		}
	}
	assert.ErrorIs(t, serr, ErrBroken)
	assert.ErrorIs(t, a.Send(ctx, []byte("x")), ErrBroken)
	assert.NoError(t, a.Close())
	assert.ErrorIs(t, a.Send(ctx, []byte("x")), ErrClosed, "local close wins over broken")
}

func TestFromNetConnCancel(t *testing.T) {
	a, b := tcpStreams(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := a.Receive(ctx, make([]byte, 1))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Receive block
	cancel()
	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ctx.Err())

	// The stream stays usable with a fresh ctx, and nothing was lost.
	require.NoError(t, b.Send(context.Background(), []byte("y")))
	buf := make([]byte, 1)
	n, err := a.Receive(context.Background(), buf)
	require.NoError(t, err)
	assert.Equal(t, "y", string(buf[:n]))
}

func TestFromNetConnCancelAfterCallNoStaleKick(t *testing.T) {
	a, b := tcpStreams(t)
	// A ctx that ends between calls must not disturb later calls with
	// another ctx, even though its registration outlived the call.
	ctx1, cancel1 := context.WithCancel(context.Background())
	require.NoError(t, b.Send(ctx1, []byte("1")))
	buf := make([]byte, 1)
	_, err := a.Receive(ctx1, buf)
	require.NoError(t, err)
	cancel1()
	time.Sleep(5 * time.Millisecond) // let the AfterFunc run

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = b.Send(context.Background(), []byte("2"))
	}()
	_, err = a.Receive(ctx2, buf)
	require.NoError(t, err)
	assert.Equal(t, "2", string(buf))

	_, err = a.Receive(ctx1, buf)
	assert.ErrorIs(t, err, context.Canceled, "the old ctx is still done")
}

func TestFromNetConnDeadline(t *testing.T) {
	a, _ := tcpStreams(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := a.Receive(ctx, make([]byte, 1))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	assert.ErrorIs(t, a.Send(past, []byte("x")), context.DeadlineExceeded)
}

// deadlineOnly is a ctx whose deadline passed but that does not know yet.
type deadlineOnly struct{ context.Context }

func (deadlineOnly) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

func TestFromNetConnDeadlineBeforeCtxNotices(t *testing.T) {
	a, b := tcpStreams(t)
	require.NoError(t, b.Send(context.Background(), []byte("x")))
	ctx := deadlineOnly{context.Background()}
	_, err := a.Receive(ctx, make([]byte, 1))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	n, err := a.Receive(context.Background(), make([]byte, 1))
	assert.Equal(t, 1, n, "the timed-out call consumed nothing")
	assert.NoError(t, err)
}

func TestFromNetConnAlreadyCancelled(t *testing.T) {
	a, b := tcpStreams(t)
	bg := context.Background()
	require.NoError(t, b.Send(bg, []byte("x")))
	time.Sleep(10 * time.Millisecond) // let the byte arrive
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err := a.Receive(ctx, make([]byte, 1))
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, a.Send(ctx, []byte("y")), context.Canceled)
	buf := make([]byte, 2)
	n, err := a.Receive(bg, buf)
	require.NoError(t, err)
	assert.Equal(t, "x", string(buf[:n]), "nothing was consumed")
}

func TestFromNetConnBusy(t *testing.T) {
	a, _ := tcpStreams(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := a.Receive(ctx, make([]byte, 1))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Receive block
	_, err := a.Receive(context.Background(), make([]byte, 1))
	assert.ErrorIs(t, err, ErrBusy)
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	// Busy is not sticky.
	short, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	_, err = a.Receive(short, make([]byte, 1))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFromNetConnCloseWrite(t *testing.T) {
	a, b := tcpStreams(t)
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, []byte("x")))
	require.NoError(t, a.CloseWrite())
	require.NoError(t, a.CloseWrite(), "idempotent")
	assert.ErrorIs(t, a.Send(ctx, []byte("y")), ErrClosed)
	assert.ErrorIs(t, a.Send(ctx, nil), ErrClosed)

	data, err := io.ReadAll(Reader(ctx, b))
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
	// The other direction still works.
	require.NoError(t, b.Send(ctx, []byte("z")))
	buf := make([]byte, 1)
	_, err = a.Receive(ctx, buf)
	require.NoError(t, err)
	assert.Equal(t, "z", string(buf))
}

func TestFromNetConnCloseWriteUnsupported(t *testing.T) {
	ca, cb := net.Pipe()
	a := FromNetConn(ca)
	defer cb.Close()
	defer a.Close()
	assert.ErrorIs(t, a.CloseWrite(), errors.ErrUnsupported)
}

func TestFromNetConnExtra(t *testing.T) {
	ca, cb := tcpPair(t)
	a := FromNetConn(ca)
	defer a.Close()
	la, err := Extra(a, LocalAddr)
	require.NoError(t, err)
	assert.Equal(t, ca.LocalAddr(), la)
	ra, err := Extra(a, RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, cb.LocalAddr(), ra)
	assert.Equal(t, ca.LocalAddr().(*net.TCPAddr).Port, ExtraOr(a, LocalPort, -1))
	assert.Equal(t, cb.LocalAddr().(*net.TCPAddr).Port, ExtraOr(a, RemotePort, -1))
	raw, err := Extra(a, RawSocket)
	require.NoError(t, err)
	assert.Same(t, ca, raw)

	p1, p2 := net.Pipe()
	defer p2.Close()
	pa := FromNetConn(p1)
	defer pa.Close()
	_, err = Extra(pa, LocalPort)
	assert.ErrorIs(t, err, ErrAttributeNotFound, "a pipe has no port")
}

func TestFromNetConnNetPipeTimeoutThenUse(t *testing.T) {
	ca, cb := net.Pipe()
	a, b := FromNetConn(ca), FromNetConn(cb)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, a.Send(ctx, []byte("x")), context.DeadlineExceeded)
	go func() { _ = b.Send(context.Background(), []byte("yz")) }()
	buf := make([]byte, 2)
	_, err := io.ReadFull(Reader(context.Background(), a), buf)
	require.NoError(t, err)
	assert.Equal(t, "yz", string(buf))
}

func TestFromNetConnZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts need a quiet run")
	}
	a, b := tcpStreams(t)
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	withDeadline, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"background", context.Background()},
		{"cancellable", cancellable},
		{"deadline", withDeadline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := []byte("ping")
			buf := make([]byte, 4)
			allocs := testing.AllocsPerRun(200, func() {
				if err := a.Send(tc.ctx, msg); err != nil {
					t.Fatal(err)
				}
				for got := 0; got < len(buf); {
					n, err := b.Receive(tc.ctx, buf[got:])
					if err != nil {
						t.Fatal(err)
					}
					got += n
				}
			})
			assert.Zero(t, allocs)
		})
	}
}

// scriptedConn returns the scripted results from Read, in order.
type scriptedConn struct {
	net.Conn
	reads []scriptedRead
}

type scriptedRead struct {
	n   int
	err error
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	r := c.reads[0]
	if len(c.reads) > 1 {
		c.reads = c.reads[1:]
	}
	return r.n, r.err
}

func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }
func (c *scriptedConn) Close() error                     { return nil }

func TestFromNetConnDataThenError(t *testing.T) {
	s := FromNetConn(&scriptedConn{reads: []scriptedRead{{3, io.EOF}}})
	defer s.Close()
	ctx := context.Background()
	n, err := s.Receive(ctx, make([]byte, 8))
	assert.Equal(t, 3, n)
	assert.NoError(t, err, "data is returned without the error")
	n, err = s.Receive(ctx, make([]byte, 8))
	assert.Equal(t, 0, n)
	assert.Same(t, io.EOF, err, "the error comes on the next call")
}

func TestFromNetConnForeignTimeoutIsNotSticky(t *testing.T) {
	s := FromNetConn(&scriptedConn{reads: []scriptedRead{{0, os.ErrDeadlineExceeded}, {1, nil}}})
	defer s.Close()
	ctx := context.Background()
	_, err := s.Receive(ctx, make([]byte, 8))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.NotErrorIs(t, err, ErrBroken)
	n, err := s.Receive(ctx, make([]byte, 8))
	assert.Equal(t, 1, n)
	assert.NoError(t, err)
}

// A connection that timed out (ETIMEDOUT: keep-alive probes or
// TCP_USER_TIMEOUT gave up on the peer) is broken, though its error says
// Timeout(): it is not a deadline, and it does not turn into a clean EOF.
func TestFromNetConnTimedOutPeerIsBroken(t *testing.T) {
	timedOut := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}
	require.True(t, timedOut.Timeout())
	for name, reads := range map[string][]scriptedRead{
		"alone":     {{0, timedOut}, {0, io.EOF}},
		"with data": {{2, timedOut}, {0, io.EOF}},
	} {
		t.Run(name, func(t *testing.T) {
			s := FromNetConn(&scriptedConn{reads: reads})
			defer s.Close()
			ctx := context.Background()
			if reads[0].n > 0 {
				n, err := s.Receive(ctx, make([]byte, 8))
				require.NoError(t, err)
				require.Equal(t, 2, n)
			}
			_, err := s.Receive(ctx, make([]byte, 8))
			require.ErrorIs(t, err, ErrBroken)
			require.ErrorIs(t, err, syscall.ETIMEDOUT)
			_, again := s.Receive(ctx, make([]byte, 8))
			assert.Equal(t, err, again, "broken is sticky; no EOF after it")
		})
	}
}

// timeoutOnlyError is a deadline error of a conn that does not wrap
// os.ErrDeadlineExceeded, only says Timeout().
type timeoutOnlyError struct{}

func (timeoutOnlyError) Error() string   { return "i/o timeout" }
func (timeoutOnlyError) Timeout() bool   { return true }
func (timeoutOnlyError) Temporary() bool { return true }

// cancellingConn ends the call's context while its Read blocks, as the
// stream's own deadline would, and fails the Read with a timeout-only error.
type cancellingConn struct {
	scriptedConn
	cancel context.CancelFunc
}

func (c *cancellingConn) Read([]byte) (int, error) {
	c.cancel()
	return 0, timeoutOnlyError{}
}

// A conn whose deadline error only says Timeout() is believed while the
// call's context has ended: the stream stays usable.
func TestFromNetConnTimeoutOnlyDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := FromNetConn(&cancellingConn{cancel: cancel})
	defer s.Close()
	_, err := s.Receive(ctx, make([]byte, 8))
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrBroken)
}

func TestFromNetConnNoProgress(t *testing.T) {
	s := FromNetConn(&scriptedConn{reads: []scriptedRead{{0, nil}}})
	defer s.Close()
	_, err := s.Receive(context.Background(), make([]byte, 8))
	assert.ErrorIs(t, err, io.ErrNoProgress)
	assert.ErrorIs(t, err, ErrBroken)
}
