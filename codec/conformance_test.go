package codec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
	"github.com/anyio-go/anyio/tcp"
)

// bytePair makes a connected pair of byte streams and a stop function.
type bytePair func(t testing.TB) (a, b stream.ByteStream, stop func())

func memoryPair(bufferSize int) bytePair {
	return func(testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
		a, b := memory.NewBytePipe(bufferSize)
		return a, b, func() {}
	}
}

func tcpPair(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
	ctx := context.Background()
	l, err := tcp.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	accepted := make(chan *tcp.Stream, 1)
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			t.Errorf("accept: %v", err)
		}
		accepted <- s
	}()
	a, err := tcp.Connect(ctx, l.Addrs()[0].String())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	b := <-accepted
	if b == nil {
		a.Close()
		t.FailNow()
	}
	return a, b, func() {}
}

// transports lists the byte streams the codecs are checked over.
var transports = map[string]bytePair{
	"memory":      memoryPair(4096),
	"memory-sync": memoryPair(0),
	"tcp":         tcpPair,
}

// over makes an object stream maker from a codec and a transport.
func over[T any](mk bytePair, wrap func(stream.ByteStream) stream.ObjectStream[T]) streamtest.MakeObjectStreams[T] {
	return func(t testing.TB) (stream.ObjectSender[T], stream.ObjectReceiver[T], func()) {
		a, b, stop := mk(t)
		return wrap(a), wrap(b), stop
	}
}

// A cancelled Send may leave part of a line or frame on the transport, so
// the codecs break their send side then.
var codecOptions = streamtest.ObjectStreamOptions{SendBreaksOnCancel: true}

func TestLinesConformance(t *testing.T) {
	for name, mk := range transports {
		t.Run(name, func(t *testing.T) {
			streamtest.TestObjectStream(t, over(mk, func(s stream.ByteStream) stream.ObjectStream[string] {
				return codec.Lines(s)
			}), func(i int) string { return fmt.Sprintf("line %d", i) }, codecOptions)
		})
	}
}

func TestLengthPrefixedConformance(t *testing.T) {
	for name, mk := range transports {
		t.Run(name, func(t *testing.T) {
			streamtest.TestObjectStream(t, over(mk, func(s stream.ByteStream) stream.ObjectStream[[]byte] {
				return codec.LengthPrefixed(s)
			}), func(i int) []byte { return fmt.Appendf(nil, "frame %d", i) }, codecOptions)
		})
	}
}

type message struct {
	Seq  int
	Text string
}

func TestJSONConformance(t *testing.T) {
	for name, mk := range transports {
		t.Run(name, func(t *testing.T) {
			streamtest.TestObjectStream(t, over(mk, func(s stream.ByteStream) stream.ObjectStream[message] {
				return codec.JSON[message](codec.LengthPrefixed(s))
			}), func(i int) message { return message{Seq: i, Text: fmt.Sprint("message ", i)} }, codecOptions)
		})
	}
}
