package udp_test

import (
	"context"
	"fmt"
	"log"

	"github.com/anyio-go/anyio/udp"
)

// A server socket answers whoever sends to it; a connected client talks to
// that server only.
func ExampleListen() {
	ctx := context.Background()
	server, err := udp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()

	client, err := udp.Connect(ctx, server.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	if err := client.Send(ctx, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	p, err := server.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("server got %q from the client: %v\n", p.Data, p.Addr == client.LocalAddr())

	if err := server.SendTo(ctx, []byte("HELLO"), p.Addr); err != nil {
		log.Fatal(err)
	}
	reply, err := client.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("client got %q\n", reply)
	// Output:
	// server got "hello" from the client: true
	// client got "HELLO"
}

// ReceiveInto and Send reuse the caller's buffer: nothing is allocated per
// datagram.
func ExampleConnect() {
	ctx := context.Background()
	server, err := udp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	client, err := udp.Connect(ctx, server.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	buf := make([]byte, 1500)
	for _, word := range []string{"one", "two"} {
		if err := client.Send(ctx, []byte(word)); err != nil {
			log.Fatal(err)
		}
		n, from, err := server.ReceiveInto(ctx, buf)
		if err != nil {
			log.Fatal(err)
		}
		if err := server.SendTo(ctx, buf[:n], from); err != nil { // echo
			log.Fatal(err)
		}
		n, err = client.ReceiveInto(ctx, buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(buf[:n]))
	}
	// Output:
	// one
	// two
}

// Batches move many datagrams per system call; the caller provides the
// receive buffers.
func ExampleSocket_ReceiveBatch() {
	ctx := context.Background()
	server, err := udp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	client, err := udp.Connect(ctx, server.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	out := []udp.Packet{{Data: []byte("a")}, {Data: []byte("b")}, {Data: []byte("c")}}
	if _, err := client.SendBatch(ctx, out); err != nil {
		log.Fatal(err)
	}
	in := make([]udp.Packet, 8)
	for i := range in {
		in[i].Data = make([]byte, 0, 1500)
	}
	for got := 0; got < len(out); {
		n, err := server.ReceiveBatch(ctx, in)
		if err != nil {
			log.Fatal(err)
		}
		for _, p := range in[:n] {
			fmt.Println(string(p.Data))
		}
		got += n
	}
	// Output:
	// a
	// b
	// c
}
