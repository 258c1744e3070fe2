package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// pipeListener accepts in-memory connections: Dial makes a synchronous
// memory byte pipe and queues one end for Accept.
type pipeListener struct {
	queue    *memory.SendStream[stream.ByteStream]
	incoming *memory.ReceiveStream[stream.ByteStream]
}

func newPipeListener() *pipeListener {
	queue, incoming := memory.NewObjectStream[stream.ByteStream](0)
	return &pipeListener{queue: queue, incoming: incoming}
}

func (l *pipeListener) Accept(ctx context.Context) (stream.ByteStream, error) {
	return l.incoming.Receive(ctx)
}

func (l *pipeListener) Close() error { return l.incoming.Close() }

func (l *pipeListener) Dial(ctx context.Context) (stream.ByteStream, error) {
	client, server := memory.NewBytePipe(0)
	if err := l.queue.Send(ctx, server); err != nil {
		return nil, err
	}
	return client, nil
}

func ExampleServe() {
	l := newPipeListener()
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error)
	go func() {
		// Each connection gets its own goroutine; Serve closes it when the
		// handler returns.
		served <- stream.Serve(ctx, l, func(ctx context.Context, s stream.ByteStream) {
			buf := make([]byte, 1024)
			for {
				n, err := s.Receive(ctx, buf)
				if err != nil {
					return // io.EOF once the client half-closed
				}
				if err := s.Send(ctx, bytes.ToUpper(buf[:n])); err != nil {
					return
				}
			}
		}, stream.WithMaxConnections(100))
	}()

	c, err := l.Dial(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Send(ctx, []byte("hello")); err != nil {
		fmt.Println(err)
		return
	}
	_ = c.CloseWrite()
	reply, err := io.ReadAll(stream.Reader(ctx, c))
	fmt.Println(string(reply), err)

	cancel() // stop serving: Serve returns once every handler has
	fmt.Println(<-served)
	// Output:
	// HELLO <nil>
	// <nil>
}
