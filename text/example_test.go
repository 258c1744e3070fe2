package text_test

import (
	"context"
	"fmt"
	"io"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/text"
)

// A text stream never splits a character: bytes that end inside one are
// held until the rest arrives.
func ExampleNewStream() {
	ctx := context.Background()
	raw, end := memory.NewBytePipe(64)
	s := text.NewStream(end) // UTF-8
	defer s.Close()

	_ = raw.Send(ctx, []byte("caf\xc3")) // "é" is C3 A9: cut in half
	first, _ := s.Receive(ctx)
	fmt.Printf("%q\n", first)

	_ = raw.Send(ctx, []byte("\xa9 au lait"))
	_ = raw.CloseWrite()
	for piece, err := range stream.All[string](ctx, s) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%q\n", piece)
	}
	// Output:
	// "caf"
	// "é au lait"
}

// Two text streams in a legacy encoding, looked up by name, and the bytes
// that travel between them.
func ExampleNewStream_encodingByName() {
	ctx := context.Background()
	enc, err := text.EncodingByName("Shift_JIS")
	if err != nil {
		fmt.Println(err)
		return
	}
	a, b := memory.NewBytePipe(64)
	sa := text.NewStream(a, text.WithEncoding(enc))
	defer sa.Close()
	defer b.Close()

	_ = sa.Send(ctx, "日本語")
	wire := make([]byte, 64)
	n, _ := b.Receive(ctx, wire)
	fmt.Printf("on the wire: % x\n", wire[:n])

	_ = b.Send(ctx, wire[:n]) // echo the bytes back
	_ = b.CloseWrite()
	got, _ := sa.Receive(ctx)
	fmt.Println("received:", got)
	_, err = sa.Receive(ctx)
	fmt.Println(err == io.EOF)
	// Output:
	// on the wire: 93 fa 96 7b 8c ea
	// received: 日本語
	// true
}

// Invalid input ends a strict stream with a *DecodeError that says where
// the bad bytes are; the text before them is delivered first.
func ExampleDecodeError() {
	ctx := context.Background()
	raw, end := memory.NewBytePipe(64)
	r := text.NewReceiver(end)
	defer r.Close()
	_ = raw.Send(ctx, []byte("ok \xff\xfe"))

	s, _ := r.Receive(ctx)
	fmt.Printf("%q\n", s)
	_, err := r.Receive(ctx)
	fmt.Println(err)
	// Output:
	// "ok "
	// text: receive: invalid UTF-8 at offset 3 (ff)
}
