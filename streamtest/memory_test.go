package streamtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// bytePipe returns a maker of memory byte pipes with the given buffer.
func bytePipe(size int) streamtest.MakeByteStreams {
	return func(testing.TB) (a, b stream.ByteStream, stop func()) {
		x, y := memory.NewBytePipe(size)
		return x, y, func() {}
	}
}

var errAbort = errors.New("aborted by the test")

func abortPipe(s stream.ByteStream) { s.(*memory.BytePipeEnd).CloseWithError(errAbort) }

func TestByteStreamMemoryPipe(t *testing.T) {
	streamtest.TestByteStream(t, bytePipe(64<<10), streamtest.ByteStreamOptions{
		Clogged: bytePipe(0),
		Abort:   abortPipe,
	})
}

func TestByteStreamMemorySyncPipe(t *testing.T) {
	streamtest.TestByteStream(t, bytePipe(0), streamtest.ByteStreamOptions{
		Clogged: bytePipe(0),
		Abort:   abortPipe,
	})
}

// item makes distinct test items.
func item(i int) string { return fmt.Sprintf("item %d", i) }

func TestObjectStreamMemory(t *testing.T) {
	for _, size := range []int{0, 1, 64, memory.Unbounded} {
		t.Run(fmt.Sprint("buffer=", size), func(t *testing.T) {
			streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
				s, r := memory.NewObjectStream[string](size)
				return s, r, nil
			}, item, streamtest.ObjectStreamOptions{})
		})
	}
}

// A stream that does not break on a cancelled Send also passes the checks
// written for one that may.
func TestObjectStreamSendBreaksOnCancelMode(t *testing.T) {
	streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
		s, r := memory.NewObjectStream[string](0)
		return s, r, nil
	}, item, streamtest.ObjectStreamOptions{SendBreaksOnCancel: true})
}

func TestObjectStreamMemoryPipe(t *testing.T) {
	streamtest.TestObjectStream(t, func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
		a, b := memory.NewObjectPipe[string](4)
		return a, b, nil
	}, item, streamtest.ObjectStreamOptions{})
}

// pipeListener is a listener of memory byte pipes: dialling makes a pipe and
// hands one end to Accept through an object stream.
type pipeListener struct {
	conns *memory.ReceiveStream[*memory.BytePipeEnd]
}

func (l pipeListener) Accept(ctx context.Context) (*memory.BytePipeEnd, error) {
	return l.conns.Receive(ctx)
}

func (l pipeListener) Close() error { return l.conns.Close() }

func TestListenerMemory(t *testing.T) {
	streamtest.TestListener(t, func(testing.TB) (stream.Listener[*memory.BytePipeEnd], func(context.Context) (io.Closer, error), func()) {
		s, r := memory.NewObjectStream[*memory.BytePipeEnd](0)
		dial := func(ctx context.Context) (io.Closer, error) {
			local, remote := memory.NewBytePipe(1024)
			if err := s.Send(ctx, remote); err != nil {
				local.Close()
				remote.Close()
				return nil, err
			}
			return local, nil
		}
		return pipeListener{r}, dial, func() { s.Close() }
	})
}
