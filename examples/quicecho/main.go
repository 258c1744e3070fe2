// Command quicecho is an echo server over QUIC: every stream a client opens
// gets back what the client sends on it, and every datagram comes back as
// it came. It runs one handler per connection through stream.Serve, each
// serving the connection's streams with (*quic.Conn).ServeStreams, logs
// with log/slog to standard error, and shuts down gracefully on SIGINT or
// SIGTERM.
//
// It makes a self-signed certificate for localhost, 127.0.0.1 and ::1 at
// start and logs its SHA-256 fingerprint, which clients pin. The
// application protocol (ALPN) is "quicecho".
//
//	go run ./examples/quicecho                     # 127.0.0.1:7004
//	go run ./examples/quicecho -addr [::1]:7004
//
// # UDP socket buffers
//
// quic-go asks the kernel for 7 MB UDP socket buffers. Where the system
// limits are lower it logs once, at start:
//
//	failed to sufficiently increase receive buffer size (was: 208 kiB, wanted: 7168 kiB, got: 416 kiB).
//	See https://github.com/quic-go/quic-go/wiki/UDP-Buffer-Sizes for details.
//
// The server works anyway, with less throughput under load. On Linux, raise
// the limits (as root; add them to /etc/sysctl.conf to keep them) with
//
//	sysctl -w net.core.rmem_max=7500000 net.core.wmem_max=7500000
//
// or silence the message with QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true.
package main

import (
	"context"
	ctls "crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/anyio-go/anyio/internal/cmdmain"
	"github.com/anyio-go/anyio/internal/selfsigned"
	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// protocol is the application protocol clients must ask for.
const protocol = "quicecho"

// main serves until SIGINT or SIGTERM, logging to standard error, and exits
// with status 1 if the server fails.
func main() { cmdmain.Run("quicecho", os.Stderr, run) }

// run parses args, then serves until ctx ends, logging to logOut. It
// returns nil after a graceful shutdown.
func run(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("quicecho", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:7004", "UDP `address` to listen on (host:port; port 0 picks one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	cert, err := selfsigned.New("quicecho")
	if err != nil {
		return err
	}
	log.Info("certificate", "subject", cert.Leaf.Subject.String(), "sha256", selfsigned.Fingerprint(cert.Leaf))

	l, err := quic.Listen(ctx, *addr, &ctls.Config{
		Certificates: []ctls.Certificate{cert},
		NextProtos:   []string{protocol},
	}, &quic.Config{EnableDatagrams: true})
	if err != nil {
		return err
	}
	defer l.Close()
	log.Info("listening", "addr", l.Addr().String(), "alpn", protocol)
	err = stream.Serve(ctx, l, func(ctx context.Context, c *quic.Conn) { serveConn(ctx, c, log) },
		stream.WithLogger(log))
	log.Info("stopped")
	return err
}

// serveConn echoes the streams and datagrams of one connection until the
// client closes it or ctx ends; Serve then closes the connection.
func serveConn(ctx context.Context, c *quic.Conn, log *slog.Logger) {
	peer := c.RemoteAddr()
	log.Info("connected", "peer", peer)
	var wg sync.WaitGroup
	dg, err := c.Datagrams()
	if err == nil {
		wg.Go(func() { echoDatagrams(ctx, dg) })
	}
	err = c.ServeStreams(ctx, func(ctx context.Context, s *quic.Stream) { echo(ctx, s, log) },
		stream.WithLogger(log))
	if dg != nil {
		_ = dg.Close()
	}
	wg.Wait()
	if err != nil {
		log.Warn("connection failed", "peer", peer, "error", err)
		return
	}
	log.Info("disconnected", "peer", peer)
}

// echo sends back everything s receives. When the client ends its side,
// echo ends its own after the last byte; when ctx ends, it returns and the
// stream is closed.
func echo(ctx context.Context, s *quic.Stream, log *slog.Logger) {
	id := stream.ExtraOr(s, quic.StreamID, -1)
	var total int64
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Receive(ctx, buf)
		if err == io.EOF {
			_ = s.CloseWrite()
			log.Debug("stream done", "stream", id, "bytes", total)
			return
		}
		if err == nil {
			err = s.Send(ctx, buf[:n])
			total += int64(n)
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				log.Warn("stream failed", "stream", id, "bytes", total, "error", err)
			}
			return
		}
	}
}

// echoDatagrams sends every datagram back until d is closed or the
// connection ends.
func echoDatagrams(ctx context.Context, d *quic.Datagrams) {
	for {
		msg, err := d.Receive(ctx)
		if err != nil {
			return
		}
		err = d.Send(ctx, msg)
		if errors.Is(err, stream.ErrClosed) || errors.Is(err, stream.ErrBroken) {
			return
		}
		// Any other error is a datagram too large to send back (the
		// path shrank): it is dropped, as the network might have.
	}
}
