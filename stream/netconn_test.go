package stream

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

func TestNetConnConformanceOverPipe(t *testing.T) {
	nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
		a, b := net.Pipe()
		c1, c2 := NetConn(FromNetConn(a)), NetConn(FromNetConn(b))
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

func TestNetConnConformanceOverTCP(t *testing.T) {
	nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
		a, b := tcpPair(t)
		c1, c2 := NetConn(FromNetConn(a)), NetConn(FromNetConn(b))
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

func TestNetConnCloseErrors(t *testing.T) {
	a, b := net.Pipe()
	c1, c2 := NetConn(FromNetConn(a)), NetConn(FromNetConn(b))
	defer c2.Close()
	require.NoError(t, c1.Close())
	require.NoError(t, c1.Close(), "a second Close is a no-op")

	_, err := c1.Read(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
	_, err = c1.Write([]byte("x"))
	assert.ErrorIs(t, err, net.ErrClosed)
	assert.ErrorIs(t, c1.SetDeadline(time.Now()), net.ErrClosed)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr)

	_, err = c2.Read(make([]byte, 1))
	assert.Same(t, io.EOF, err)
	_, err = c2.Write([]byte("x"))
	assert.Error(t, err)
	assert.True(t, errors.Is(err, ErrBroken) || errors.Is(err, net.ErrClosed), "got %v", err)
}

func TestNetConnCloseWakesReads(t *testing.T) {
	a, b := net.Pipe()
	c := NetConn(FromNetConn(a))
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 { // one in Receive, two waiting for their turn
		wg.Go(func() {
			_, err := c.Read(make([]byte, 1))
			errs <- err
		})
	}
	time.Sleep(20 * time.Millisecond) // let the reads block
	require.NoError(t, c.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.ErrorIs(t, err, net.ErrClosed)
	}
}

func TestNetConnConcurrentReadsWait(t *testing.T) {
	a, b := net.Pipe()
	c := NetConn(FromNetConn(a))
	defer c.Close()
	defer b.Close()
	var wg sync.WaitGroup
	got := make(chan byte, 2)
	for range 2 {
		wg.Go(func() {
			buf := make([]byte, 1)
			_, err := c.Read(buf)
			assert.NoError(t, err, "a second Read waits instead of failing busy")
			got <- buf[0]
		})
	}
	time.Sleep(10 * time.Millisecond) // let both reads start
	_, err := b.Write([]byte("a"))
	require.NoError(t, err)
	_, err = b.Write([]byte("b"))
	require.NoError(t, err)
	wg.Wait()
	close(got)
	var all []byte
	for x := range got {
		all = append(all, x)
	}
	assert.ElementsMatch(t, []byte("ab"), all)
}

func TestNetConnDeadlineMovedWhileBlocked(t *testing.T) {
	a, b := net.Pipe()
	c := NetConn(FromNetConn(a))
	defer c.Close()
	defer b.Close()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Hour)))
	errc := make(chan error)
	start := time.Now()
	go func() {
		_, err := c.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Read block
	require.NoError(t, c.SetReadDeadline(time.Now().Add(30*time.Millisecond)))
	err := <-errc
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), time.Second)

	// Clearing the deadline after it fired makes the conn usable again.
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	go func() { _, _ = b.Write([]byte("z")) }()
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "z", string(buf))
}

func TestNetConnCloseWriteAndExtra(t *testing.T) {
	ta, tb := tcpPair(t)
	c := NetConn(FromNetConn(ta))
	defer c.Close()
	assert.Equal(t, ta.LocalAddr(), c.LocalAddr())
	assert.Equal(t, ta.RemoteAddr(), c.RemoteAddr())
	raw, err := Extra(c, RawSocket)
	require.NoError(t, err)
	assert.Same(t, ta, raw, "attributes are forwarded to the stream")

	cw, ok := c.(interface{ CloseWrite() error })
	require.True(t, ok)
	require.NoError(t, cw.CloseWrite())
	n, err := tb.Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)

	// And FromNetConn over the adapter reaches the same attributes.
	s := FromNetConn(c)
	raw, err = Extra(s, RawSocket)
	require.NoError(t, err)
	assert.Same(t, ta, raw)
}

func TestNetConnPlaceholderAddr(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	s := &StapledByteStream{Sender: FromNetConn(a), Receiver: FromNetConn(a)}
	c := NetConn(noExtra{s})
	defer c.Close()
	assert.Equal(t, "stream", c.LocalAddr().Network())
	assert.Equal(t, "stream", c.RemoteAddr().String())
}

// noExtra hides a stream's attributes.
type noExtra struct{ ByteStream }

func TestDeadlineContextAfterFunc(t *testing.T) {
	d := newDeadline()
	ctx := d.context()
	before := runtime.NumGoroutine()
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { close(fired) })
	stopped := context.AfterFunc(ctx, func() { t.Error("a stopped func ran") })
	assert.True(t, stopped())
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "AfterFunc starts no goroutine while waiting")
	require.True(t, d.set(time.Now().Add(5*time.Millisecond)))
	<-fired
	assert.False(t, stop())
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	_, has := ctx.Deadline()
	assert.False(t, has)

	// A fired context stays fired; a new deadline gets a new context.
	require.True(t, d.set(time.Time{}))
	assert.NotSame(t, ctx, d.context())
	assert.NoError(t, d.context().Err())
	assert.Error(t, ctx.Err())
	d.stop()
	assert.False(t, d.set(time.Now()))
}

func TestDeadlineExtendedBeforeFiring(t *testing.T) {
	d := newDeadline()
	defer d.stop()
	ctx := d.context()
	require.True(t, d.set(time.Now().Add(5*time.Millisecond)))
	require.True(t, d.set(time.Now().Add(time.Hour)))
	time.Sleep(20 * time.Millisecond) // past the first deadline
	assert.NoError(t, ctx.Err(), "the moved deadline has not passed")
	assert.Same(t, ctx, d.context(), "the unfired context is kept")
	require.True(t, d.set(time.Now().Add(-time.Second)))
	<-ctx.Done()
}
