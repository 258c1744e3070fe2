package streamtest_test

import (
	"fmt"
	"testing"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// A stream that breaks on a cancelled Send passes the suite with
// SendBreaksOnCancel: lines over a byte pipe of 16 bytes, so that the
// checks' Sends block and a cancelled one leaves part of a line sent.
func TestObjectStreamBreaksOnCancel(t *testing.T) {
	streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
		a, b := memory.NewBytePipe(16)
		return codec.Lines(a), codec.Lines(b), nil
	}, func(i int) string { return fmt.Sprint("line ", i) }, streamtest.ObjectStreamOptions{SendBreaksOnCancel: true})
}
