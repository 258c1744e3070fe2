package stream

import (
	"context"
	"io"
)

// Reader returns an io.Reader whose Read receives from r with ctx. It passes
// io.EOF through unwrapped, so io.Copy and io.ReadAll see a clean end, and a
// ctx that ends makes Read fail with the ctx's error. Like r, the reader
// must not be used by two goroutines at once (the second gets ErrBusy). It
// does not close r.
func Reader(ctx context.Context, r ByteReceiver) io.Reader {
	return &reader{ctx: ctx, r: r}
}

type reader struct {
	ctx context.Context
	r   ByteReceiver
}

func (r *reader) Read(p []byte) (int, error) { return r.r.Receive(r.ctx, p) }

// Writer returns an io.Writer whose Write sends all of p on s with ctx: it
// returns len(p) and nil, or 0 and s's error (a prefix may have gone when
// the ctx ended mid-send). It does not close s.
func Writer(ctx context.Context, s ByteSender) io.Writer {
	return &writer{ctx: ctx, s: s}
}

type writer struct {
	ctx context.Context
	s   ByteSender
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.s.Send(w.ctx, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
