package tcp_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// A client and a server on loopback: Listen picks a free port, Connect
// dials it, and the accepted stream answers.
func Example() {
	ctx := context.Background()
	l, err := tcp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := l.Accept(ctx)
		if err != nil {
			log.Print(err)
			return
		}
		defer s.Close()
		s.Send(ctx, []byte("hello from the server"))
	}()

	c, err := tcp.Connect(ctx, l.Addrs()[0].String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	msg, err := io.ReadAll(stream.Reader(ctx, c))
	if err != nil {
		log.Fatal(err)
	}
	<-done
	fmt.Println(string(msg))
	// Output: hello from the server
}

// Serve runs one handler per connection until its ctx ends.
func ExampleListen_serve() {
	ctx, stop := context.WithCancel(context.Background())
	l, err := tcp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() {
		served <- stream.Serve(ctx, l, func(ctx context.Context, s *tcp.Stream) {
			io.Copy(stream.Writer(ctx, s), stream.Reader(ctx, s)) // echo
		})
	}()

	c, err := tcp.Connect(ctx, l.Addrs()[0].String())
	if err != nil {
		log.Fatal(err)
	}
	c.Send(ctx, []byte("echo me"))
	c.CloseWrite()
	reply, _ := io.ReadAll(stream.Reader(ctx, c))
	c.Close()
	fmt.Println(string(reply))

	stop()
	fmt.Println("serve:", <-served)
	// Output:
	// echo me
	// serve: <nil>
}

// Connect reports every address's error when none answers.
func ExampleConnect_refused() {
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := l.Addrs()[0].String()
	l.Close() // nobody listens there now

	_, err = tcp.Connect(context.Background(), addr)
	fmt.Println(err != nil)
	// Output: true
}

// A Connector keeps the address so that code that dials need not know the
// transport.
func ExampleConnector() {
	l, err := tcp.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	var dialer stream.Connector[stream.ByteStream] = tcp.Connector{Address: l.Addrs()[0].String()}

	s, err := dialer.Connect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	peer, err := l.Accept(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer peer.Close()
	fmt.Println(stream.ExtraOr(s, stream.RemotePort, 0) == stream.ExtraOr(peer, stream.LocalPort, -1))
	// Output: true
}
