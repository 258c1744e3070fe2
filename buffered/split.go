package buffered

import (
	"bytes"
	"context"
	"io"
	"iter"

	"github.com/anyio-go/anyio/stream"
)

// SplitSeq returns an iterator over the delimited records of the stream:
// each step yields what ReceiveUntilView(ctx, delim, maxBytes) would return,
// until end of stream. It is the fastest way to split a stream into lines:
// the receive slot is taken once for the whole loop rather than once per
// record, and nothing is allocated.
//
// Each record is a view into r's buffer, valid only until the loop body
// returns (the next step overwrites it); copy what must be kept. A clean end
// of stream ends the loop without yielding io.EOF. Any other error is
// yielded once, as (nil, err), and ends the loop: ErrIncompleteRead when the
// stream ends inside a record, ErrDelimiterNotFound when a record exceeds
// maxBytes, the ctx error when ctx is cancelled (checked before every
// record, so a cancelled loop stops even while records are buffered),
// stream.ErrClosed after Close, stream.ErrBusy when another read is in
// progress. In every case the unconsumed bytes stay buffered, as for
// ReceiveUntil.
//
// While the loop runs it holds r's receive slot: the loop body must not call
// r's read methods (they return stream.ErrBusy), Feed or Buffered (they
// panic). Breaking out of the loop releases the slot. SplitSeq panics if
// delim is empty.
func (r *Receiver) SplitSeq(ctx context.Context, delim []byte, maxBytes int) iter.Seq2[[]byte, error] {
	checkDelim(delim)
	maxBytes = max(maxBytes, 0)
	return func(yield func([]byte, error) bool) {
		r.split(ctx, delim, maxBytes, yield)
	}
}

// split is SplitSeq's loop. It is a method rather than the body of the
// function SplitSeq returns because the compiler does not inline calls
// inside a closure that was itself copied into a caller by inlining, and
// the per-record path depends on inlining.
func (r *Receiver) split(ctx context.Context, delim []byte, maxBytes int, yield func([]byte, error) bool) {
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, opReceiveUntil); err != nil {
			yield(nil, err)
			return
		}
	}
	defer r.guard.Release()
	done := ctx.Done() // nil for a context that is never cancelled
	for {
		if done != nil || r.closed.Load() {
			if err := r.checkpoint(ctx, done); err != nil {
				yield(nil, err)
				return
			}
		}
		// The search for a buffered record is record spelled out: record is
		// too large to inline, and a call per record costs a tenth of the
		// time of a short line.
		window := r.buf[r.r : r.r+min(r.w-r.r, maxBytes)]
		var i int
		if len(delim) == 1 {
			i = bytes.IndexByte(window, delim[0])
		} else {
			i = bytes.Index(window, delim)
		}
		var v []byte
		if i >= 0 {
			r.consume(i + len(delim))
			v = window[:i:i]
		} else {
			var err error
			if v, err = r.untilMore(ctx, delim, maxBytes); err != nil {
				if err != io.EOF {
					yield(nil, err)
				}
				return
			}
		}
		if !yield(v, nil) {
			return
		}
	}
}

// checkpoint reports Close and cancellation between the steps of a loop
// that holds the receive slot, without a call into ctx when done is nil.
func (r *Receiver) checkpoint(ctx context.Context, done <-chan struct{}) error {
	if r.closed.Load() {
		return opError(opReceiveUntil, stream.ErrClosed)
	}
	if done != nil {
		select {
		case <-done:
			return opError(opReceiveUntil, ctx.Err())
		default:
		}
	}
	return nil
}
