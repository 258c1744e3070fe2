package exampletest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeServer logs like the example servers: where it listens, then, once
// ctx ends, that it stopped. With the argument "fail" it fails at once.
func fakeServer(ctx context.Context, args []string, logOut io.Writer) error {
	if len(args) > 0 && args[0] == "fail" {
		return errors.New("bad arguments")
	}
	fmt.Fprintln(logOut, "level=INFO msg=listening addr=127.0.0.1:1234")
	<-ctx.Done()
	fmt.Fprintln(logOut, "level=INFO msg=stopped")
	return nil
}

func TestLogAwaitWaitsForTheLine(t *testing.T) {
	l := NewLog()
	go func() {
		fmt.Fprint(l, "msg=first\n")
		fmt.Fprint(l, "msg=second n=")
		fmt.Fprint(l, "42\n")
	}()
	require.Equal(t, "42", l.Await(t, regexp.MustCompile(`msg=second n=(\d+)\n`)))
	require.Equal(t, "msg=first\nmsg=second n=42\n", l.String())
}

func TestLogAwaitFailsOnceClosed(t *testing.T) {
	l := NewLog()
	fmt.Fprintln(l, "msg=other")
	require.NoError(t, l.Close())
	// Await ends the goroutine it runs in when it fails, as t.Fatal does.
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Await(rec, ListeningRE)
	}()
	<-done
	require.True(t, rec.failed)
	require.Contains(t, rec.msg, "ended before")
}

// recorder records a fatal failure instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestStartAndStop(t *testing.T) {
	s := Start(t, fakeServer)
	require.Equal(t, "127.0.0.1:1234", s.Addr)
	require.NotContains(t, s.Log.String(), "msg=stopped")
	require.NoError(t, s.Stop())
	require.Contains(t, s.Log.String(), "msg=stopped")
	require.NoError(t, s.Stop(), "a second Stop")
}

func TestFakeServerChild(t *testing.T) { ServeAsChild(t, fakeServer) }

func TestStartChildAndTerminate(t *testing.T) {
	c := StartChild(t, "TestFakeServerChild", "-addr", "127.0.0.1:0")
	require.Equal(t, "127.0.0.1:1234", c.Addr)
	c.Terminate(t)
}
