package stream_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

func ExampleExtra() {
	a, b := net.Pipe()
	defer b.Close()
	s := stream.FromNetConn(a)
	defer s.Close()

	addr, err := stream.Extra(s, stream.RemoteAddr)
	fmt.Println(addr, err)

	// A pipe has no port: the error names the attribute.
	_, err = stream.Extra(s, stream.RemotePort)
	fmt.Println(err)
	fmt.Println(errors.Is(err, stream.ErrAttributeNotFound))
	fmt.Println(stream.ExtraOr(s, stream.RemotePort, -1))
	// Output:
	// pipe <nil>
	// stream: attribute not found: remote port
	// true
	// -1
}

// tagged is a wrapper that answers one attribute of its own and forwards
// every other question to the stream it wraps.
type tagged struct {
	stream.ByteStream
	tag string
}

var Tag = stream.NewAttribute[string]("tag")

func (t tagged) Extra(key any) (any, bool) {
	if key == Tag {
		return t.tag, true
	}
	return stream.ForwardExtra(t.ByteStream, key)
}

func ExampleNewAttribute() {
	a, b := net.Pipe()
	defer b.Close()
	s := tagged{ByteStream: stream.FromNetConn(a), tag: "blue"}
	defer s.Close()

	fmt.Println(stream.ExtraOr(s, Tag, ""))
	fmt.Println(stream.ExtraOr[net.Addr](s, stream.LocalAddr, nil)) // forwarded
	// Output:
	// blue
	// pipe
}

func ExampleAll() {
	ctx := context.Background()
	send, receive := memory.NewObjectStream[string](3)
	for _, word := range []string{"one", "two", "three"} {
		_ = send.Send(ctx, word)
	}
	_ = send.Close() // the receiver sees io.EOF after the last item

	for word, err := range stream.All[string](ctx, receive) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(word)
	}
	// Output:
	// one
	// two
	// three
}

func ExampleFromNetConn() {
	a, b := net.Pipe()
	s := stream.FromNetConn(a)
	defer s.Close()
	defer b.Close()

	// The ctx deadline becomes the conn's read deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.Receive(ctx, make([]byte, 1))
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// true
}

func ExampleNetConn() {
	a, b := memory.NewBytePipe(1024)
	defer a.Close()
	defer b.Close()

	// Code written for net.Conn, here bufio, works over any byte stream.
	c := stream.NetConn(a)
	go func() {
		_ = b.Send(context.Background(), []byte("first line\nsecond line\n"))
	}()
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Printf("%q %v\n", line, err)

	_ = c.SetReadDeadline(time.Now()) // deadlines become contexts
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	fmt.Println(errors.As(err, &ne) && ne.Timeout())
	// Output:
	// "first line\n" <nil>
	// true
}
