package memory

import (
	"context"
	"sync"
)

// pipeHalf is one direction of a byte pipe: the bytes one end's Send passes
// to the other end's Receive. The ends' busy guards let at most one Send and
// one Receive use a half at a time, so each needs only a one-token channel to
// sleep on. Everything else is guarded by mu, and every copy happens under
// it: a Send's slice may be read only while the Send is blocked.
//
// Send copies into the ring buffer as much as fits. Whatever does not fit
// stays in the caller's slice, parked in pending, and the Send sleeps until
// pending is empty. Receive copies from the ring and, once it is empty,
// straight from pending (all a synchronous pipe, with its empty ring, ever
// does); then it moves what it can of pending into the room it freed, so
// that a Send returns as soon as its last byte is buffered. A large Send that
// finds the receiver waiting on an empty ring skips the ring altogether: it
// parks all of p in pending, so each byte is copied once, straight into the
// receiver's slice, instead of into the ring and out again. The receiver
// then buffers what it did not take, as above, even when it gives up.
type pipeHalf struct {
	mu   sync.Mutex
	buf  []byte // ring storage, fixed size; nil once the reader closed
	r, n int    // read offset and number of buffered bytes

	pending []byte // the unbuffered rest of a blocked Send

	eof  error // why the writer stopped (io.EOF or a broken error); nil while it may send
	gone error // why Sends fail since the reader closed; nil while it is open

	recvWaiting, sendWaiting bool          // a call sleeps on the channel below
	recvWake, sendWake       chan struct{} // capacity 1; a token means "look again"
}

func newPipeHalf(size int) *pipeHalf {
	return &pipeHalf{
		buf:      make([]byte, size),
		recvWake: make(chan struct{}, 1),
		sendWake: make(chan struct{}, 1),
	}
}

// receive is Receive once the guard is held and len(p) > 0.
func (h *pipeHalf) receive(ctx context.Context, p []byte) (int, error) {
	h.mu.Lock()
	for {
		if h.gone != nil {
			h.mu.Unlock()
			return 0, errReceiveClosed
		}
		if n := h.take(p); n > 0 {
			wakeSender := h.refill()
			h.mu.Unlock()
			if wakeSender {
				signal(h.sendWake)
			}
			return n, nil
		}
		if h.eof != nil {
			h.mu.Unlock()
			return 0, h.eof
		}
		h.recvWaiting = true
		h.mu.Unlock()
		if err := sleep(ctx, h.recvWake); err != nil {
			h.giveUpReceive()
			return 0, opError("receive", err)
		}
		h.mu.Lock()
	}
}

// giveUpReceive ends a Receive whose ctx ended while it waited. The bytes
// are still where they were: nothing is lost.
func (h *pipeHalf) giveUpReceive() {
	h.mu.Lock()
	h.recvWaiting = false
	// A Send handed over to this call must not wait for the next one
	// while the ring has room.
	wakeSender := h.refill()
	h.mu.Unlock()
	if wakeSender {
		signal(h.sendWake)
	}
}

// send is Send once the guard is held.
func (h *pipeHalf) send(ctx context.Context, p []byte) error {
	h.mu.Lock()
	if err := h.sendError(); err != nil || len(p) == 0 {
		h.mu.Unlock()
		return err
	}
	k := 0
	if !h.handOver(p) {
		k = h.write(p)
	}
	wakeReceiver := h.recvWaiting
	h.recvWaiting = false
	if k < len(p) {
		h.pending = p[k:]
		h.sendWaiting = true
	}
	h.mu.Unlock()
	if wakeReceiver {
		signal(h.recvWake)
	}
	if k == len(p) {
		return nil
	}
	for {
		werr := sleep(ctx, h.sendWake)
		h.mu.Lock()
		err := h.sendError()
		switch {
		case len(h.pending) == 0:
			err = nil // every byte went: delivered, whatever else happened
		case err == nil && werr != nil:
			err = opError("send", werr) // the bytes that went stay sent
		case err == nil:
			h.mu.Unlock() // a stale token: keep waiting
			continue
		}
		h.pending = nil // p is the caller's again
		h.sendWaiting = false
		h.mu.Unlock()
		return err
	}
}

// directSend is the size from which a Send to a waiting receiver is handed
// over rather than buffered: copying that much twice, into the ring and out
// again, costs more than the sender waiting for the receiver to wake. (On a
// 64 KiB pipe, buffering still wins at 16 KiB; the hand-over at 32 KiB.)
const directSend = 32 << 10

// handOver reports whether p, about to be sent, should skip the ring and
// wait in pending for the receiver to copy it straight into its own slice:
// only when the receiver is already waiting on an empty ring and p is large.
// The caller holds mu.
func (h *pipeHalf) handOver(p []byte) bool {
	return h.recvWaiting && h.n == 0 && len(p) >= directSend
}

// sendError is the error a Send gets now, or nil. The caller holds mu.
func (h *pipeHalf) sendError() error {
	if h.eof != nil {
		return errSendClosed // this end stopped writing: local close wins
	}
	return h.gone
}

// take copies into p the buffered bytes, oldest first, then, once the ring
// is empty, bytes straight from a blocked Send. The caller holds mu.
func (h *pipeHalf) take(p []byte) int {
	k := h.readRing(p)
	// A Send still pending once its writer has stopped is being withdrawn
	// by Close: its bytes must not go out.
	if k < len(p) && h.n == 0 && h.eof == nil {
		c := copy(p[k:], h.pending)
		h.pending = h.pending[c:]
		k += c
	}
	return k
}

// refill moves what fits of a blocked Send's pending bytes into the ring,
// and reports whether that Send is now complete and must be woken. Nothing
// moves once either end has stopped: the bytes would count as sent into a
// ring nobody reads. The caller holds mu.
func (h *pipeHalf) refill() bool {
	if len(h.pending) > 0 && h.eof == nil && h.gone == nil {
		h.pending = h.pending[h.write(h.pending):]
	}
	if h.sendWaiting && len(h.pending) == 0 {
		h.sendWaiting = false
		return true
	}
	return false
}

// write copies as much of p as fits into the ring and returns how much. The
// caller holds mu.
func (h *pipeHalf) write(p []byte) int {
	size, k := len(h.buf), 0
	for k < len(p) && h.n < size {
		w := h.r + h.n
		if w >= size {
			w -= size
		}
		end := size // free space runs to the end of storage...
		if w < h.r {
			end = h.r // ...or, once wrapped, up to the unread bytes
		}
		c := copy(h.buf[w:end], p[k:])
		k += c
		h.n += c
	}
	return k
}

// readRing copies buffered bytes into p and returns how many. The caller
// holds mu.
func (h *pipeHalf) readRing(p []byte) int {
	size, k := len(h.buf), 0
	for k < len(p) && h.n > 0 {
		c := copy(p[k:], h.buf[h.r:min(size, h.r+h.n)])
		k += c
		h.n -= c
		h.r += c
		if h.r == size {
			h.r = 0
		}
	}
	if h.n == 0 {
		h.r = 0 // an empty ring starts over, so that writes stay contiguous
	}
	return k
}

// stopWriting records that the writer will send no more: the reader gets eof
// once the buffer is drained. Only the first reason counts. A Send blocked on
// this half is woken too when the whole end is closing.
func (h *pipeHalf) stopWriting(eof error, closing bool) {
	h.mu.Lock()
	if h.eof == nil {
		h.eof = eof
	}
	h.mu.Unlock()
	signal(h.recvWake)
	if closing {
		signal(h.sendWake)
	}
}

// stopReading records that the reader's end closed: the unread bytes are
// dropped, the reader's calls get ErrClosed and the writer's get gone. Only
// the first reason counts.
func (h *pipeHalf) stopReading(gone error) {
	h.mu.Lock()
	if h.gone == nil {
		h.gone = gone
	}
	h.buf, h.r, h.n = nil, 0, 0 // nothing is buffered for a closed reader
	h.mu.Unlock()
	signal(h.recvWake)
	signal(h.sendWake)
}

// signal leaves a token in c unless one is already there. It never blocks.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// sleep waits for a token on c or for ctx to end, and returns ctx's error
// in the second case.
func sleep(ctx context.Context, c chan struct{}) error {
	done := ctx.Done()
	if done == nil {
		<-c
		return nil
	}
	select {
	case <-c:
		return nil
	case <-done:
		return ctx.Err()
	}
}
