package buffered

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/anyio-go/anyio/stream"
)

// scriptReceiver serves fixed chunks in order, then end (io.EOF unless set).
// A chunk longer than the read is split. It counts transport reads and
// records the largest amount of data it has handed out in total.
type scriptReceiver struct {
	chunks [][]byte
	end    error
	calls  int
	served int
	closed bool
}

func script(chunks ...string) *scriptReceiver {
	s := &scriptReceiver{end: io.EOF}
	for _, c := range chunks {
		s.chunks = append(s.chunks, []byte(c))
	}
	return s
}

func (s *scriptReceiver) Receive(ctx context.Context, p []byte) (int, error) {
	s.calls++
	if s.closed {
		return 0, fmt.Errorf("script: receive: %w", stream.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for len(s.chunks) > 0 && len(s.chunks[0]) == 0 {
		s.chunks = s.chunks[1:]
	}
	if len(s.chunks) == 0 {
		return 0, s.end
	}
	n := copy(p, s.chunks[0])
	s.chunks[0] = s.chunks[0][n:]
	s.served += n
	return n, nil
}

func (s *scriptReceiver) Close() error { s.closed = true; return nil }

// chanReceiver blocks until a chunk arrives on its channel; closing the
// channel is end of stream. It honours ctx and Close like a real transport.
type chanReceiver struct {
	ch        chan []byte
	done      chan struct{}
	closeOnce sync.Once
	closes    atomic.Int32
	pending   []byte
	entered   chan struct{} // receives a value each time Receive starts waiting
}

func newChanReceiver() *chanReceiver {
	return &chanReceiver{ch: make(chan []byte, 16), done: make(chan struct{}), entered: make(chan struct{}, 16)}
}

func (c *chanReceiver) Receive(ctx context.Context, p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, fmt.Errorf("chan: receive: %w", stream.ErrClosed)
	default:
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for len(c.pending) == 0 {
		select {
		case c.entered <- struct{}{}:
		default:
		}
		select {
		case chunk, ok := <-c.ch:
			if !ok {
				return 0, io.EOF
			}
			c.pending = chunk
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-c.done:
			return 0, fmt.Errorf("chan: receive: %w", stream.ErrClosed)
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *chanReceiver) Close() error {
	c.closes.Add(1)
	c.closeOnce.Do(func() { close(c.done) })
	return nil
}

var testAttr = stream.NewAttribute[string]("test")

func (c *chanReceiver) Extra(key any) (any, bool) {
	if key == testAttr {
		return "from transport", true
	}
	return nil, false
}

// cutReceiver serves data in chunks whose sizes come from cuts (cycled), then
// io.EOF. It is the fuzzers' arbitrary chunking.
type cutReceiver struct {
	data []byte
	cuts []byte
	i    int
}

func (c *cutReceiver) Receive(_ context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	size := len(c.data)
	if len(c.cuts) > 0 {
		size = 1 + int(c.cuts[c.i%len(c.cuts)])%32
		c.i++
	}
	n := copy(p, c.data[:min(size, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

func (c *cutReceiver) Close() error { return nil }

// objects serves byte chunks as an object receiver, then io.EOF.
type objects struct {
	chunks [][]byte
	closed bool
}

func objectsOf(chunks ...string) *objects {
	o := &objects{}
	for _, c := range chunks {
		o.chunks = append(o.chunks, []byte(c))
	}
	return o
}

func (o *objects) Receive(ctx context.Context) ([]byte, error) {
	if o.closed {
		return nil, fmt.Errorf("objects: receive: %w", stream.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(o.chunks) == 0 {
		return nil, io.EOF
	}
	c := o.chunks[0]
	o.chunks = o.chunks[1:]
	return c, nil
}

func (o *objects) Close() error { o.closed = true; return nil }

func (o *objects) Extra(key any) (any, bool) {
	if key == testAttr {
		return "from objects", true
	}
	return nil, false
}
