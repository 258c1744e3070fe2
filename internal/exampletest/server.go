package exampletest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/cmdmain"
)

// RunFunc is an example server's run function, as its main calls it.
type RunFunc = cmdmain.RunFunc

// Server is an example server running in the test's process.
type Server struct {
	// Addr is the address the server logged it listens on.
	Addr string
	// Log is the server's log output.
	Log *Log

	stop func() error
}

// Start runs run with args in a new goroutine and returns once the server
// logs that it listens. When the test ends the server is stopped, and must
// have stopped cleanly. If run ends before it listens, the test fails.
func Start(t testing.TB, run RunFunc, args ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := NewLog()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, log)
		_ = log.Close()
		done <- err
	}()
	var once sync.Once
	var err error
	s := &Server{Log: log, stop: func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}}
	t.Cleanup(func() { require.NoError(t, s.Stop(), "the server's log:\n%s", log) })
	s.Addr = log.Await(t, ListeningRE)
	return s
}

// Stop cancels the server's context and returns run's error once it has
// returned. Calling it again returns the same error; it may be called from
// any goroutine.
func (s *Server) Stop() error { return s.stop() }
