package buffered

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// ReceiveExactly returns the next n bytes, in a new slice the caller owns.
// It returns as soon as n bytes are available and reads from the transport
// only as much as it needs (plus read-ahead of at most 4 KiB for small n).
// A large n is not allocated up front: the result grows, from 64 KiB, as
// the bytes arrive, so memory follows what the transport delivered rather
// than what n announced.
//
// At end of stream it follows io.ReadFull: io.EOF, unwrapped, when nothing
// was buffered; an error wrapping ErrIncompleteRead (and io.ErrUnexpectedEOF)
// when some bytes were, and those bytes stay in the buffer. A cancelled ctx
// returns the ctx error and keeps every byte read so far in the buffer, so a
// later call resumes where this one stopped. A concurrent read returns
// stream.ErrBusy. ReceiveExactly with n == 0 returns an empty slice at once.
// It panics if n is negative.
func (r *Receiver) ReceiveExactly(ctx context.Context, n int) ([]byte, error) {
	checkCount(n)
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, opReceiveExactly); err != nil {
			return nil, err
		}
	}
	if r.w-r.r >= n {
		// Fast path: the bytes are buffered. Nothing here can panic, so
		// the slot is released without a defer.
		out := make([]byte, n)
		copy(out, r.buf[r.r:])
		r.consume(n)
		r.guard.Release()
		return out, nil
	}
	defer r.guard.Release()
	return r.exactly(ctx, n)
}

// exactly is ReceiveExactly for the holder of the receive slot.
func (r *Receiver) exactly(ctx context.Context, n int) ([]byte, error) {
	if n-(r.w-r.r) >= defaultSize {
		return r.exactlyDirect(ctx, n)
	}
	v, err := r.exactlyView(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out, nil
}

// ReceiveExactlyView is ReceiveExactly without the copy: it returns the next
// n bytes as a slice of r's internal buffer, allocating nothing once the
// buffer has grown to n. The buffer grows to hold n bytes at once.
//
// The returned slice is valid — its contents stay as returned — only until
// the next read on r, successful or not: a call to Receive, ReceiveExactly,
// ReceiveExactlyView, ReceiveUntil, ReceiveUntilView or Feed, the same
// reads through a Slot of r, or a step of SplitSeq. After that the buffer
// may be overwritten; copy what must be kept. Buffered, Extra and Close do
// not invalidate it. Its capacity equals its length, so appending
// to it never writes into the buffer. End of stream, cancellation and
// concurrent use behave as for ReceiveExactly.
func (r *Receiver) ReceiveExactlyView(ctx context.Context, n int) ([]byte, error) {
	checkCount(n)
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, opReceiveExactly); err != nil {
			return nil, err
		}
	}
	if r.w-r.r >= n {
		v := r.take(n)
		r.guard.Release()
		return v, nil
	}
	defer r.guard.Release()
	return r.exactlyView(ctx, n)
}

// exactlyView is ReceiveExactlyView for the holder of the receive slot; it
// also serves small ReceiveExactly calls.
func (r *Receiver) exactlyView(ctx context.Context, n int) ([]byte, error) {
	for r.w-r.r < n {
		if err := r.fill(ctx, n); err != nil {
			if err == io.EOF {
				return nil, r.endError(opReceiveExactly)
			}
			return nil, err
		}
	}
	return r.take(n), nil
}

// take consumes n buffered bytes and returns them as a view.
func (r *Receiver) take(n int) []byte {
	start := r.r
	r.consume(n)
	return r.buf[start : start+n : start+n]
}

// directStart is the most a large ReceiveExactly allocates before any of
// its bytes have arrived.
const directStart = 64 << 10

// exactlyDirect serves a large ReceiveExactly: the transport writes straight
// into the result, saving a copy. The result grows, doubling from
// directStart, as the bytes arrive, so that a peer announcing a large n
// costs memory only for what it actually sends. If the read fails part way,
// the result so far becomes the buffer, so nothing is lost; the call that
// resumes takes it over.
func (r *Receiver) exactlyDirect(ctx context.Context, n int) ([]byte, error) {
	var out []byte
	var k int
	if r.partial && len(r.buf) <= n {
		// The buffer is the partial result of the call this one
		// resumes: it becomes the start of the result again.
		k = copy(r.buf, r.buf[r.r:r.w])
		out, r.buf = r.buf, nil
	} else {
		have := r.buf[r.r:r.w]
		out = make([]byte, min(n, max(directStart, 2*len(have))))
		k = copy(out, have)
		if r.partial {
			r.buf = nil // too large to keep as the buffer
		}
	}
	r.partial = false
	r.r, r.w = 0, 0
	for k < n {
		if k == len(out) {
			grown := make([]byte, min(n, 2*len(out)))
			copy(grown, out)
			out = grown
		}
		m, err := r.src.Receive(ctx, out[k:])
		k += m
		if err != nil {
			if k > 0 {
				r.buf, r.w, r.partial = out, k, true
			}
			if err == io.EOF {
				return nil, r.endError(opReceiveExactly)
			}
			return nil, err
		}
	}
	return out, nil
}

// ReceiveUntil returns the bytes before the next occurrence of delim, in a
// new slice the caller owns, and consumes delim too. A delimiter split across
// transport chunks is found.
//
// The limit is strict: the delimiter is found only when it lies wholly
// within the first maxBytes buffered bytes, however those bytes arrived, so
// the returned slice is at most maxBytes-len(delim) long. Otherwise
// ReceiveUntil returns an error wrapping ErrDelimiterNotFound once maxBytes
// bytes are buffered, and keeps them in the buffer. It grows the buffer to
// no more than max(maxBytes, 4 KiB) (one that an earlier read made larger
// stays as it is). A negative maxBytes counts as 0.
//
// At end of stream it follows io.ReadFull: io.EOF, unwrapped, when nothing
// was buffered, else an error wrapping ErrIncompleteRead with the bytes kept
// in the buffer. A cancelled ctx returns the ctx error and keeps everything
// read so far buffered. A concurrent read returns stream.ErrBusy. It panics
// if delim is empty.
func (r *Receiver) ReceiveUntil(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	v, err := r.ReceiveUntilView(ctx, delim, maxBytes)
	return clone(v), err
}

// clone copies a view into a slice the caller owns; nil stays nil.
func clone(v []byte) []byte {
	if v == nil {
		return nil
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out
}

// ReceiveUntilView is ReceiveUntil without the copy: the bytes before the
// delimiter are returned as a slice of r's internal buffer, and a line
// splitter built on it allocates nothing per line.
//
// The returned slice is valid — its contents stay as returned — only until
// the next read on r, successful or not: a call to Receive, ReceiveExactly,
// ReceiveExactlyView, ReceiveUntil, ReceiveUntilView or Feed, the same
// reads through a Slot of r, or a step of SplitSeq. After that the buffer
// may be overwritten; copy what must be kept. Buffered, Extra and Close do
// not invalidate it. Its capacity equals its length, so appending
// to it never writes into the buffer. Limits, end of stream, cancellation
// and concurrent use behave as for ReceiveUntil.
func (r *Receiver) ReceiveUntilView(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	checkDelim(delim)
	if ctx.Err() != nil || !r.enter() {
		if err := r.begin(ctx, opReceiveUntil); err != nil {
			return nil, err
		}
	}
	maxBytes = max(maxBytes, 0)
	if v, ok := r.record(delim, maxBytes); ok {
		// Fast path: the record is buffered. Nothing here can panic, so
		// the slot is released without a defer.
		r.guard.Release()
		return v, nil
	}
	defer r.guard.Release()
	return r.untilMore(ctx, delim, maxBytes)
}

// record consumes the next record and its delimiter, and returns the record
// as a view, when the delimiter lies within the first maxBytes buffered
// bytes. It never reads from the transport; untilMore takes over when it
// finds nothing. It is the whole of the fast path of ReceiveUntil and is
// kept to one call deep: a call costs a tenth of the time of a short line.
func (r *Receiver) record(delim []byte, maxBytes int) ([]byte, bool) {
	window := r.buf[r.r : r.r+min(r.w-r.r, maxBytes)]
	var i int
	if len(delim) == 1 {
		i = bytes.IndexByte(window, delim[0])
	} else {
		i = bytes.Index(window, delim)
	}
	if i < 0 {
		return nil, false
	}
	r.consume(i + len(delim))
	return window[:i:i], true
}

// untilMore finishes a ReceiveUntil whose delimiter record did not find
// within the buffered bytes: it reads from the transport while fewer
// than maxBytes bytes are buffered. Only the bytes that arrive are searched,
// along with the last len(delim)-1 bytes before them, which may start a
// delimiter that the new bytes complete.
func (r *Receiver) untilMore(ctx context.Context, delim []byte, maxBytes int) ([]byte, error) {
	for {
		end := min(r.w-r.r, maxBytes)
		if end == maxBytes {
			return nil, fmt.Errorf("buffered: %s: %w within %d bytes", opReceiveUntil, ErrDelimiterNotFound, maxBytes)
		}
		from := max(end-len(delim)+1, 0) // relative to r.r, which fill may move
		if err := r.fill(ctx, maxBytes); err != nil {
			if err == io.EOF {
				return nil, r.endError(opReceiveUntil)
			}
			return nil, err
		}
		start := r.r
		end = min(r.w-start, maxBytes)
		if i := index(r.buf[start+from:start+end], delim); i >= 0 {
			i += start + from
			r.consume(i + len(delim) - start)
			return r.buf[start:i:i], nil
		}
	}
}

// index is bytes.Index with the common one-byte delimiter sent straight to
// bytes.IndexByte.
func index(b, delim []byte) int {
	if len(delim) == 1 {
		return bytes.IndexByte(b, delim[0])
	}
	return bytes.Index(b, delim)
}

func checkCount(n int) {
	if n < 0 {
		panic("buffered: ReceiveExactly with a negative count")
	}
}

func checkDelim(delim []byte) {
	if len(delim) == 0 {
		panic("buffered: ReceiveUntil with an empty delimiter")
	}
}
