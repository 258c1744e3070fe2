package streamtest

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/anyio-go/anyio/stream"
)

// testNetConn (50) runs golang.org/x/net/nettest.TestConn on stream.NetConn
// adapters over pairs made by the maker. nettest brings its own subtests and
// watchdog, so this runs on t directly rather than under runCheck.
func (cfg *byteConfig) testNetConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b, release := cfg.makeFromAnyGoroutine(t)
		if a == nil || b == nil {
			return nil, nil, nil, errors.New("streamtest: the maker failed")
		}
		if cfg.swap {
			a, b = b, a
		}
		c1, c2 = stream.NetConn(a), stream.NetConn(b)
		stop = func() {
			c1.Close()
			c2.Close()
			a.Close()
			b.Close()
			if release != nil {
				release()
			}
		}
		return c1, c2, stop, nil
	})
}

// makeFromAnyGoroutine calls the maker on a goroutine of its own, where a
// t.Fatal inside it ends only that goroutine: nettest calls its MakePipe
// from subtests of t, whose goroutines must not call t.FailNow.
func (cfg *byteConfig) makeFromAnyGoroutine(t testing.TB) (a, b stream.ByteStream, stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, b, stop = cfg.mk(&checkT{TB: t})
	}()
	<-done
	return a, b, stop
}

// closedConnErr reports whether err is what a net.Conn returns once it was
// closed locally.
func closedConnErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}

// checkNetConnCloseError (51): after c1.Close, c1's Read, Write and
// SetDeadline report a closed connection, c2.Read reports io.EOF, and
// c2.Write ends with a closed or broken error (the analogue of net's
// TestPipeCloseError).
func checkNetConnCloseError(e *byteEnv) {
	a, b := e.pair()
	c1, c2 := stream.NetConn(a), stream.NetConn(b)
	e.onTeardown(func() {
		c1.Close()
		c2.Close()
	})
	e.wantNil(e.call("Close", c1.Close), "c1.Close")

	buf := make([]byte, 8)
	checks := []struct {
		what string
		f    func() error
	}{
		{"c1.Read after c1.Close", func() error { _, err := c1.Read(buf); return err }},
		{"c1.Write after c1.Close", func() error { _, err := c1.Write([]byte("x")); return err }},
		{"c1.SetDeadline after c1.Close", func() error { return c1.SetDeadline(time.Now()) }},
	}
	for _, c := range checks {
		if err := e.call(c.what, c.f); !closedConnErr(err) {
			e.t.Errorf("%s: got %v, want net.ErrClosed or io.ErrClosedPipe", c.what, errString(err))
		}
	}

	n, err := e.callN("c2.Read after c1.Close", func() (int, error) { return c2.Read(buf) })
	if n != 0 || err != io.EOF {
		e.t.Errorf("c2.Read after c1.Close returned (%d, %v), want (0, io.EOF)", n, err)
	}

	err = await(e.harness, async(e.harness, func() error {
		p := make([]byte, 100)
		for range 1 << 16 {
			if _, err := c2.Write(p); err != nil {
				return err
			}
		}
		return nil
	}), 2*e.tm.prompt, "c2.Write loop after c1.Close")
	if !closedConnErr(err) && !errors.Is(err, stream.ErrBroken) {
		e.t.Errorf("c2.Write after c1.Close: got %v, want net.ErrClosed, io.ErrClosedPipe or stream.ErrBroken", errString(err))
	}
}

// callN is call for functions returning a count as well.
func (e *byteEnv) callN(what string, f func() (int, error)) (int, error) {
	e.t.Helper()
	r := await(e.harness, async(e.harness, func() recvResult {
		n, err := f()
		return recvResult{n, err}
	}), e.tm.prompt, what)
	return r.n, r.err
}
