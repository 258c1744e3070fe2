// Command udpecho is a UDP echo server: every datagram it receives goes
// straight back to its sender. It moves datagrams in batches (recvmmsg and
// sendmmsg on Linux) through buffers it allocates once, and stops cleanly on
// SIGINT or SIGTERM.
//
//	go run ./examples/udpecho -addr 127.0.0.1:7001
//	socat - UDP:127.0.0.1:7001    # type lines, see them echoed
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/anyio-go/anyio/internal/cmdmain"
	"github.com/anyio-go/anyio/udp"
)

// main serves until SIGINT or SIGTERM, reporting to standard output, and
// exits with status 1 if the server fails.
func main() { cmdmain.Run("udpecho", os.Stdout, run) }

// run parses args, then serves until ctx ends, reporting to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("udpecho", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:7001", "address to listen on")
	batch := fs.Int("batch", 16, "datagrams moved per system call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 {
		return errors.New("-batch must be at least 1")
	}
	sock, err := udp.Listen(ctx, *addr)
	if err != nil {
		return err
	}
	defer sock.Close()
	fmt.Fprintf(out, "udpecho: listening on %s\n", sock.LocalAddr())
	err = echo(ctx, sock, *batch, out)
	fmt.Fprintln(out, "udpecho: stopped")
	return err
}

// echo sends every datagram back to where it came from until ctx ends
// (which is a clean stop) or the socket fails.
func echo(ctx context.Context, sock *udp.Socket, batch int, out io.Writer) error {
	// Buffers of the largest datagram size, so nothing is ever truncated.
	ps := make([]udp.Packet, batch)
	for i := range ps {
		ps[i].Data = make([]byte, 0, udp.DefaultMaxDatagramSize)
	}
	for {
		n, err := sock.ReceiveBatch(ctx, ps)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := sock.SendBatch(ctx, ps[:n]); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// One unreachable peer must not stop the server.
			fmt.Fprintln(out, "udpecho:", err)
		}
	}
}
