package sockettest_test

import (
	"context"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
)

// tcpPair returns a connected pair over IPv4 loopback, closed when the
// test ends.
func tcpPair(t testing.TB) (c, s *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer ln.Close()
	c, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	s, err = ln.AcceptTCP()
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return c, s
}

// streamPair is tcpPair as byte streams, whose errors say "stream".
func streamPair(t testing.TB) (c, s stream.ByteStream) {
	rc, rs := tcpPair(t)
	return stream.FromNetConn(rc), stream.FromNetConn(rs)
}

// recorder stands in for a test so that a check's failure can be seen
// without failing the real test.
type recorder struct {
	testing.TB
	failed   bool
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// FailNow ends the goroutine, as it ends a test.
func (r *recorder) FailNow() {
	r.failed = true
	runtime.Goexit()
}

func (r *recorder) Fatal(...any) { r.FailNow() }

func (r *recorder) Errorf(string, ...any) { r.failed = true }

// record runs check as a test with a recorder in place of t: in a goroutine
// of its own, then its cleanups in another, and returns the recorder.
func record(t *testing.T, check func(r *recorder)) *recorder {
	r := &recorder{TB: t}
	inGoroutine(func() { check(r) })
	inGoroutine(func() {
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
	})
	return r
}

// inGoroutine runs f in a new goroutine and waits for it to end.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestCountFDs(t *testing.T) {
	before := sockettest.CountFDs(t)
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	require.Equal(t, before+1, sockettest.CountFDs(t))
	require.NoError(t, f.Close())
	require.Equal(t, before, sockettest.CountFDs(t))
}

func TestRequireNoFDLeak(t *testing.T) {
	r := record(t, func(r *recorder) {
		sockettest.RequireNoFDLeak(r)
		f, err := os.Open(os.DevNull)
		require.NoError(r, err)
		require.NoError(r, f.Close())
	})
	require.False(t, r.failed, "closed in time: no leak")

	var leaked *os.File
	r = record(t, func(r *recorder) {
		sockettest.RequireNoFDLeak(r)
		var err error
		leaked, err = os.Open(os.DevNull)
		require.NoError(r, err)
	})
	require.NoError(t, leaked.Close())
	require.True(t, r.failed, "a descriptor left open is a leak")
}

func TestRoundTrip(t *testing.T) {
	c, s := streamPair(t)
	sockettest.RoundTrip(t, c, s, "ping")
	sockettest.RoundTrip(t, s, c, "pong")
}

func TestRequireErrorsPrefixed(t *testing.T) {
	c, s := streamPair(t)
	sockettest.RequireErrorsPrefixed(t, c, s, "stream")

	c, s = streamPair(t)
	r := record(t, func(r *recorder) { sockettest.RequireErrorsPrefixed(r, c, s, "tcp") })
	require.True(t, r.failed, "the wrong package name is caught")
}

func TestRequireSteadyStateAllocatesNothing(t *testing.T) {
	c, s := streamPair(t)
	sockettest.RequireSteadyStateAllocatesNothing(t, c, s)

	r := record(t, func(r *recorder) {
		sockettest.RequireSteadyStateAllocatesNothing(r, allocating{}, allocating{})
	})
	require.True(t, r.failed, "an allocating stream is caught")
}

func TestClog(t *testing.T) {
	c, s := tcpPair(t)
	sockettest.Clog(t, stream.FromNetConn(c), stream.FromNetConn(s))
	for _, conn := range []*net.TCPConn{c, s} {
		raw, err := conn.SyscallConn()
		require.NoError(t, err)
		var size int
		var serr error
		require.NoError(t, raw.Control(func(fd uintptr) {
			size, serr = getsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		}))
		require.NoError(t, serr)
		// Linux doubles the size asked for, to leave room for its own
		// bookkeeping.
		require.LessOrEqual(t, size, 2*sockettest.ClogBuffer)
	}

	r := record(t, func(r *recorder) { sockettest.Clog(r, allocating{}) })
	require.True(t, r.failed, "a stream without a socket is caught")
}

// sink keeps allocating's allocations on the heap.
var sink []byte

// allocating is a byte stream that allocates on every Send and receives
// whatever it is asked to at once.
type allocating struct{}

func (allocating) Send(_ context.Context, p []byte) error {
	sink = make([]byte, len(p))
	return nil
}
func (allocating) Receive(_ context.Context, p []byte) (int, error) { return len(p), nil }
func (allocating) CloseWrite() error                                { return nil }
func (allocating) Close() error                                     { return nil }

// BenchmarkBulk runs the bulk bodies on stream.FromNetConn over TCP and on
// the *net.TCPConn baseline.
func BenchmarkBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("stream", func(b *testing.B) {
		c, s := streamPair(b)
		sockettest.BulkStream(b, c, s, chunk)
	})
	b.Run("net", func(b *testing.B) {
		c, s := tcpPair(b)
		sockettest.BulkConn(b, c, s, chunk)
	})
}
