package buffered_test

import (
	"context"
	"fmt"

	"github.com/anyio-go/anyio/buffered"
	"github.com/anyio-go/anyio/memory"
)

// A Receiver reads a simple text protocol: a header line, then a body of
// the length it announces.
func ExampleNewReceiver() {
	ctx := context.Background()
	client, server := memory.NewBytePipe(1024)
	go func() {
		client.Send(ctx, []byte("LENGTH 5\r\nhello"))
		client.Send(ctx, []byte("LENGTH 6\r\n world"))
		client.Close()
	}()

	r := buffered.NewReceiver(server)
	defer r.Close()
	for {
		header, err := r.ReceiveUntil(ctx, []byte("\r\n"), 64)
		if err != nil {
			fmt.Println("end:", err)
			return
		}
		var n int
		fmt.Sscanf(string(header), "LENGTH %d", &n)
		body, err := r.ReceiveExactly(ctx, n)
		if err != nil {
			fmt.Println("body:", err)
			return
		}
		fmt.Printf("%s -> %q\n", header, body)
	}
	// Output:
	// LENGTH 5 -> "hello"
	// LENGTH 6 -> " world"
	// end: EOF
}

// ReceiveUntil returns the bytes before the delimiter, however the stream
// was chunked, and keeps what it could not use.
func ExampleReceiver_ReceiveUntil() {
	ctx := context.Background()
	send, recv := memory.NewObjectStream[[]byte](4)
	send.Send(ctx, []byte("GET /index"))
	send.Send(ctx, []byte(".html\r"))
	send.Send(ctx, []byte("\nHost: example.com\r\n\r\nunterminated"))
	send.Close()

	r := buffered.FromObjects(recv)
	defer r.Close()
	for {
		line, err := r.ReceiveUntil(ctx, []byte("\r\n"), 100)
		if err != nil {
			fmt.Printf("%v; %q left in the buffer\n", err, r.Buffered())
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "GET /index.html"
	// "Host: example.com"
	// ""
	// buffered: receive until: buffered: incomplete read: unexpected EOF (12 bytes buffered); "unterminated" left in the buffer
}

// SplitSeq splits a stream into lines with no allocation per line.
func ExampleReceiver_SplitSeq() {
	ctx := context.Background()
	a, b := memory.NewBytePipe(1024)
	go func() {
		a.Send(ctx, []byte("alpha\nbeta\ngamma\n"))
		a.Close()
	}()

	r := buffered.NewReceiver(b)
	defer r.Close()
	for line, err := range r.SplitSeq(ctx, []byte("\n"), 1024) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Printf("%s (%d bytes)\n", line, len(line))
	}
	// Output:
	// alpha (5 bytes)
	// beta (4 bytes)
	// gamma (5 bytes)
}
