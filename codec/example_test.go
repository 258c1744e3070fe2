package codec_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
)

// Lines exchanges text lines; the receiving side also accepts "\r\n".
func ExampleLines() {
	ctx := context.Background()
	a, b := memory.NewBytePipe(1024)
	client, server := codec.Lines(a), codec.Lines(b)
	defer client.Close()
	defer server.Close()

	err := client.Send(ctx, "two\nlines")
	fmt.Println(err)

	go func() {
		for _, cmd := range []string{"HELO example.com", "QUIT"} {
			client.Send(ctx, cmd)
		}
		client.CloseWrite()
	}()
	for {
		line, err := server.Receive(ctx)
		if err != nil {
			fmt.Println("end:", err)
			break
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// codec: lines: send: codec: line cannot be sent: it contains "\n" at byte 3
	// "HELO example.com"
	// "QUIT"
	// end: EOF
}

// LengthPrefixed carries binary frames, each behind a 4-byte big-endian
// length; an oversized header breaks the receiving side.
func ExampleLengthPrefixed() {
	ctx := context.Background()
	a, b := memory.NewBytePipe(1024)
	sender := codec.LengthPrefixed(a)
	receiver := codec.LengthPrefixed(b, codec.MaxFrameSize(16))
	defer sender.Close()
	defer receiver.Close()

	sender.Send(ctx, []byte{0xca, 0xfe})
	sender.Send(ctx, []byte(strings.Repeat("x", 100)))
	for range 2 {
		frame, err := receiver.Receive(ctx)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("% x\n", frame)
	}
	// Output:
	// ca fe
	// codec: length-prefixed: receive: stream: broken: codec: frame too large: header announces 100 bytes, over the limit of 16
}

// JSON stacks on LengthPrefixed to exchange typed values; a frame that is
// not valid JSON is reported and skipped.
func ExampleJSON() {
	type Greeting struct {
		From string `json:"from"`
		Text string `json:"text"`
	}
	ctx := context.Background()
	a, b := memory.NewBytePipe(1024)
	frames := codec.LengthPrefixed(a)
	sender := codec.JSON[Greeting](frames)
	receiver := codec.JSON[Greeting](codec.LengthPrefixed(b))
	defer sender.Close()
	defer receiver.Close()

	sender.Send(ctx, Greeting{From: "a", Text: "hello"})
	frames.Send(ctx, []byte("{not json"))
	sender.Send(ctx, Greeting{From: "a", Text: "bye"})
	sender.CloseWrite()
	for {
		g, err := receiver.Receive(ctx)
		if err == io.EOF {
			fmt.Println("end of stream")
			break
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%+v\n", g)
	}
	// Output:
	// {From:a Text:hello}
	// codec: json: receive: codec: cannot decode item: invalid character 'n' looking for beginning of object key string
	// {From:a Text:bye}
	// end of stream
}
