package tcp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// logLines is a slog destination that hands each record over a channel.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default: // a full channel drops the line rather than block Serve
	}
	return len(p), nil
}

func newLogger() (*slog.Logger, logLines) {
	lines := make(logLines, 1024)
	return slog.New(slog.NewTextHandler(lines, nil)), lines
}

// waitLine waits for a logged line containing want.
func waitLine(t *testing.T, lines logLines, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line := <-lines:
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf("no log line containing %q", want)
		}
	}
}

// echo copies everything it receives back until the peer or ctx ends it.
func echo(ctx context.Context, s *tcp.Stream) {
	buf := make([]byte, 4096)
	for {
		n, err := s.Receive(ctx, buf)
		if err != nil {
			return
		}
		if s.Send(ctx, buf[:n]) != nil {
			return
		}
	}
}

// serve runs stream.Serve in the background; the returned function stops
// it and returns its error.
func serve(l *tcp.Listener, h func(context.Context, *tcp.Stream), opts ...stream.ServeOption) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stream.Serve(ctx, l, h, opts...) }()
	return func() error {
		cancel()
		return <-done
	}
}

// echoOnce sends msg over c and checks it comes back.
func echoOnce(ctx context.Context, c *tcp.Stream, msg string) error {
	if err := c.Send(ctx, []byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(stream.Reader(ctx, c), buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return fmt.Errorf("echoed %q, want %q", buf, msg)
	}
	return nil
}

// TestServeSurvivesHandlerPanic: a panicking handler is logged and the
// server goes on serving.
func TestServeSurvivesHandlerPanic(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	logger, lines := newLogger()
	var calls atomic.Int32
	stop := serve(l, func(ctx context.Context, s *tcp.Stream) {
		if calls.Add(1) == 1 {
			panic("handler bug")
		}
		echo(ctx, s)
	}, stream.WithLogger(logger))
	defer func() { require.NoError(t, stop()) }()

	ctx := context.Background()
	c, err := tcp.Connect(ctx, l.Addrs()[0].String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Receive(ctx, make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the panicking handler's connection was closed")
	require.Contains(t, waitLine(t, lines, "panicked"), "handler bug")

	c2, err := tcp.Connect(ctx, l.Addrs()[0].String())
	require.NoError(t, err)
	defer c2.Close()
	require.NoError(t, echoOnce(ctx, c2, "still serving"))
}

// TestServeGracefulShutdown: with 100 live connections, Serve returns only
// after every handler has returned, leaving no goroutine and no descriptor.
func TestServeGracefulShutdown(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	const conns = 100
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	var running, returned atomic.Int32
	stop := serve(l, func(ctx context.Context, s *tcp.Stream) {
		running.Add(1)
		defer returned.Add(1)
		echo(ctx, s)
		time.Sleep(time.Millisecond) // a handler that takes a moment to wind down
	})

	ctx := context.Background()
	clients := make([]*tcp.Stream, conns)
	for i := range clients {
		c, err := tcp.Connect(ctx, l.Addrs()[0].String())
		require.NoError(t, err)
		clients[i] = c
		// A round trip proves a handler is serving this connection.
		require.NoError(t, echoOnce(ctx, c, fmt.Sprintf("hello %d", i)))
	}
	require.Equal(t, int32(conns), running.Load())

	require.NoError(t, stop())
	require.Equal(t, int32(conns), returned.Load(), "Serve returned before its handlers")
	for _, c := range clients {
		_, err := c.Receive(ctx, make([]byte, 1))
		require.ErrorIs(t, err, io.EOF, "Serve closed every connection")
		require.NoError(t, c.Close())
	}
	require.NoError(t, l.Close())
	goleak.VerifyNone(t)
}

// TestServeMaxConnections: under load from many clients at once, no more
// handlers run at a time than the limit, and every client is served.
func TestServeMaxConnections(t *testing.T) {
	const limit, clients, rounds = 3, 20, 20
	l := listen(t, "127.0.0.1:0")
	var active, peak atomic.Int32
	stop := serve(l, func(ctx context.Context, s *tcp.Stream) {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		echo(ctx, s)
	}, stream.WithMaxConnections(limit))

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := tcp.Connect(ctx, l.Addrs()[0].String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for r := range rounds {
				if err := echoOnce(ctx, c, fmt.Sprintf("client %d round %d", i, r)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, stop())
	require.Equal(t, int32(limit), peak.Load(), "the limit was reached and never passed")
}

// TestServeReturnsListenerError: closing the listener under Serve ends it
// with ErrClosed.
func TestServeReturnsListenerError(t *testing.T) {
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Serve(context.Background(), l, echo) }()
	time.Sleep(10 * time.Millisecond) // let Serve block in Accept
	require.NoError(t, l.Close())
	err = <-done
	require.True(t, errors.Is(err, stream.ErrClosed), "got %v", err)
}
