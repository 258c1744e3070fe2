// Command echo is an echo server: whatever a client sends comes back to it.
// It listens on TCP, or on a Unix socket with -unix, runs one handler per
// connection through stream.Serve, logs with log/slog to standard error, and
// shuts down gracefully on SIGINT or SIGTERM: it stops accepting, ends every
// connection and exits once every handler has returned.
//
//	go run ./examples/echo                       # 127.0.0.1:7000
//	go run ./examples/echo -addr :7007           # every interface
//	go run ./examples/echo -unix /tmp/echo.sock
//
// Try it with any client, for instance: socat - TCP:127.0.0.1:7000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/anyio-go/anyio/internal/cmdmain"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/unix"
)

// main serves until SIGINT or SIGTERM, logging to standard error, and exits
// with status 1 if the server fails.
func main() { cmdmain.Run("echo", os.Stderr, run) }

// run parses args, then serves until ctx ends, logging to logOut. It
// returns nil after a graceful shutdown.
func run(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:7000", "TCP `address` to listen on (host:port; port 0 picks one)")
	path := fs.String("unix", "", "listen on the Unix socket at `path` instead of TCP")
	maxConns := fs.Int("max-connections", 0, "serve at most `n` clients at once (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	if *path != "" {
		l, err := unix.Listen(ctx, *path, unix.WithMode(0o600))
		if err != nil {
			return err
		}
		return serve(ctx, l, l.Addr().String(), *maxConns, log)
	}
	l, err := tcp.Listen(ctx, *addr)
	if err != nil {
		return err
	}
	return serve(ctx, l, l.Addrs()[0].String(), *maxConns, log)
}

// serve runs an echo handler for every connection l accepts until ctx
// ends, then closes l.
func serve[T stream.ByteStream](ctx context.Context, l stream.Listener[T], addr string, maxConns int, log *slog.Logger) error {
	defer l.Close()
	log.Info("listening", "addr", addr)
	err := stream.Serve(ctx, l, func(ctx context.Context, s T) { echo(ctx, s, log) },
		stream.WithLogger(log), stream.WithMaxConnections(maxConns))
	log.Info("stopped")
	return err
}

// echo sends back everything s receives. When the client half-closes, it
// half-closes too, after the last byte; when ctx ends, it returns and Serve
// closes the connection.
func echo(ctx context.Context, s stream.ByteStream, log *slog.Logger) {
	peer := stream.ExtraOr[net.Addr](s, stream.RemoteAddr, nil)
	log.Debug("connected", "peer", peer)
	var total int64
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Receive(ctx, buf)
		if err == io.EOF {
			_ = s.CloseWrite()
			log.Info("done", "peer", peer, "bytes", total)
			return
		}
		if err == nil {
			err = s.Send(ctx, buf[:n])
			total += int64(n)
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				log.Warn("connection failed", "peer", peer, "bytes", total, "error", err)
			}
			return
		}
	}
}
