package memory_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// A producer sends a few values and closes its end; the consumer receives
// until io.EOF, which comes only once the buffer is drained.
func ExampleNewObjectStream() {
	ctx := context.Background()
	send, receive := memory.NewObjectStream[string](0)
	defer receive.Close()

	go func() {
		defer send.Close()
		for _, word := range []string{"hello", "memory", "streams"} {
			if err := send.Send(ctx, word); err != nil {
				return // every receiver is gone
			}
		}
	}()

	for {
		word, err := receive.Receive(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(word)
	}
	// Output:
	// hello
	// memory
	// streams
}

// Several producers share one stream through clones. The consumer sees
// io.EOF once the last clone is closed.
func ExampleSendStream_Clone() {
	ctx := context.Background()
	send, receive := memory.NewObjectStream[int](memory.Unbounded)
	defer receive.Close()

	var wg sync.WaitGroup
	for worker := 1; worker <= 3; worker++ {
		clone, err := send.Clone()
		if err != nil {
			panic(err)
		}
		wg.Go(func() {
			defer clone.Close()
			clone.Send(ctx, worker*10)
		})
	}
	send.Close() // the clones keep the stream open

	var got []int
	for n, err := range stream.All(ctx, receive) { // until every clone closed
		if err != nil {
			panic(err)
		}
		got = append(got, n)
	}
	wg.Wait()
	sort.Ints(got)
	fmt.Println(got)
	// Output: [10 20 30]
}

// A byte pipe connects two byte-stream ends: one side sends and half-closes,
// the other reads everything until io.EOF and answers.
func ExampleNewBytePipe() {
	ctx := context.Background()
	client, server := memory.NewBytePipe(64 << 10)
	defer client.Close()

	go func() {
		defer server.Close()
		var request []byte
		buf := make([]byte, 8)
		for {
			n, err := server.Receive(ctx, buf)
			if err != nil {
				break // io.EOF: the client half-closed
			}
			request = append(request, buf[:n]...)
		}
		server.Send(ctx, []byte(fmt.Sprintf("got %d bytes", len(request))))
	}()

	client.Send(ctx, []byte("a request of some length"))
	client.CloseWrite()
	reply, _ := io.ReadAll(stream.Reader(ctx, client))
	fmt.Println(string(reply))
	// Output: got 24 bytes
}
