// Command chat is a line-based chat server: every line a client sends reaches
// every other client, prefixed with the sender's nickname.
//
//	go run ./examples/chat                    # 127.0.0.1:7002
//	go run ./examples/chat -addr :7002        # every interface
//
// Talk to it with any line-oriented client, for instance:
//
//	socat - TCP:127.0.0.1:7002
//
// # Protocol
//
// The server greets a new client and takes the first line as its nickname
// ("/nick NAME" works too): 1 to 32 letters, digits, '-' or '_'. A nickname
// already in use gets a number appended. From then on each line is relayed to
// the others as "<nick> text"; lines starting with '*' come from the server:
// join and leave notices, replies to commands, errors. Commands:
//
//	/nick NAME   change nickname
//	/who         list who is online
//	/quit        leave (closing the connection or half-closing it works too)
//
// A client that leaves first receives the lines already queued for it (for
// up to two seconds), then the server closes the connection.
//
// Lines end with "\n" (a "\r" before it is dropped). A line longer than
// codec.DefaultMaxLineLength (64 KiB) cannot be framed: the client is told
// so and disconnected. A shorter line that would exceed that limit once
// prefixed with the nickname is refused with a notice, and the client stays
// connected, so that every line the server sends fits the default limit of
// codec.Lines on the clients' side.
//
// # Slow clients
//
// Policy: a client that does not keep up is disconnected; nobody waits for
// it. Each client has its own outbox of -buffer lines (64 by default) between
// the hub and the goroutine writing to its connection. The hub never blocks
// on a client: it hands each line over with TrySend, and when a client's
// outbox is full (its socket buffers are full too by then) the client is
// disconnected at once: its connection is reset, so that it sees an error
// rather than an orderly end, and the others see "* NICK was disconnected
// (too slow)". No line is dropped silently: a client either gets every line
// in order or loses its connection.
//
// # Structure
//
// Each connection is a tcp.Stream wrapped in codec.Lines and served by
// stream.Serve. One hub goroutine owns the list of members and receives from
// a shared memory.ReceiveStream; each connection sends its lines, commands
// and join/leave events to the hub through its own clone of the hub's
// memory.SendStream, so the hub's stream ends exactly when the last
// connection is gone. The hub delivers to a connection through that
// connection's bounded memory object stream.
//
// Logs go to standard error through log/slog. SIGINT or SIGTERM shuts the
// server down gracefully: it stops accepting, ends every connection and exits
// once every goroutine has returned.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/anyio-go/anyio/internal/cmdmain"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// Defaults of the command-line flags.
const (
	defaultAddr       = "127.0.0.1:7002"
	defaultOutboxSize = 64
)

// hubInboxSize bounds the events waiting for the hub. The hub never blocks,
// so a full inbox only slows down the clients sending to it.
const hubInboxSize = 256

// main serves until SIGINT or SIGTERM, logging to standard error, and exits
// with status 1 if the server fails.
func main() { cmdmain.Run("chat", os.Stderr, run) }

// run parses args, then serves until ctx ends, logging to logOut. It returns
// nil after a graceful shutdown.
func run(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", defaultAddr, "TCP `address` to listen on (host:port; port 0 picks one)")
	outbox := fs.Int("buffer", defaultOutboxSize, "lines queued for a client before it is disconnected as too slow")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *outbox < 1 {
		return errors.New("-buffer must be at least 1")
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	l, err := tcp.Listen(ctx, *addr)
	if err != nil {
		return err
	}
	defer l.Close()
	log.Info("listening", "addr", l.Addrs()[0].String())
	err = serve(ctx, l, *outbox, log)
	log.Info("stopped")
	return err
}

// serve runs the hub and a session for every connection l accepts until ctx
// ends, and returns once both the sessions and the hub are done.
func serve(ctx context.Context, l *tcp.Listener, outboxSize int, log *slog.Logger) error {
	toHub, inbox := memory.NewObjectStream[message](hubInboxSize)
	h := newHub(log)
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		h.run(inbox)
	}()

	err := stream.Serve(ctx, l, func(ctx context.Context, conn *tcp.Stream) {
		runSession(ctx, conn, toHub, outboxSize, log)
	}, stream.WithLogger(log))

	// Every session has returned and closed its clone; closing the
	// original ends the hub's inbox, and the hub returns.
	_ = toHub.Close()
	<-hubDone
	return err
}
