package tls

import (
	"context"
	"sync"

	"github.com/anyio-go/anyio/stream"
)

// sendQueue is the write side of recordConn: it hands the records crypto/tls
// produces to the transport without ever cutting one short.
//
// A record, once encrypted, must reach the peer whole: crypto/tls has
// counted it, and the transport's Send, when cancelled, does not say how
// much of it went. So a write under a context that can end does not call the
// transport itself. It queues a copy of the record for a writer goroutine
// (one per stream, started on first use, sending with a context only Close
// ends) and waits for it to be sent. If the caller's context ends first, the
// record stays queued and is accepted as written: it reaches the peer ahead
// of anything sent later, and the stream stays consistent. A write under a
// context that cannot end (context.Background()) with nothing queued goes
// straight to the transport, with no copy and no hand-off.
//
// Waiters: the goroutine inside crypto/tls's write (serialised by crypto/tls)
// waits on writeWake; the goroutine holding Stream's send slot, between
// writes, waits on sendWake. The writer signals both after every batch, so
// each channel has at most one waiter and needs no allocation.
type sendQueue struct {
	send func(ctx context.Context, p []byte) error // the transport's Send

	mu       sync.Mutex
	queue    []byte // accepted, not yet taken by the writer
	spare    []byte // the writer's previous batch, reused for queue
	inflight bool   // a transport Send is running (writer or direct)
	accepted uint64 // bytes ever queued
	sent     uint64 // bytes of the queue ever sent
	err      error  // the transport's Send failed; sticky
	stopped  bool   // stop was called
	running  bool   // the writer goroutine was started

	kick      chan struct{} // wakes the writer
	writeWake chan struct{}
	sendWake  chan struct{}
	ctx       context.Context // the writer's, ended by stop
	cancel    context.CancelFunc
	done      chan struct{} // closed when the writer has returned
}

func newSendQueue(send func(ctx context.Context, p []byte) error) *sendQueue {
	return &sendQueue{
		send:      send,
		kick:      make(chan struct{}, 1),
		writeWake: make(chan struct{}, 1),
		sendWake:  make(chan struct{}, 1),
	}
}

// writeMode says how a write may reach the transport.
type writeMode uint8

const (
	// modeWhole never cuts a record short: under a context that can end it
	// goes through the writer.
	modeWhole writeMode = iota
	// modeDirect always goes straight to the transport: the handshake,
	// which is abandoned whole when cancelled.
	modeDirect
	// modeLast goes straight to the transport unless records are queued
	// ahead of it: the close_notify of Close, after which the transport is
	// closed anyway, so a record its context cuts short does no harm and
	// no writer is started for it.
	modeLast
)

// write sends rec whole, directly or through the writer as described on
// sendQueue, or as mode allows. It reports success once rec was sent, or was
// accepted when ctx ended first.
func (q *sendQueue) write(ctx context.Context, rec []byte, mode writeMode) error {
	q.mu.Lock()
	if q.err != nil {
		q.mu.Unlock()
		return q.err
	}
	idle := !q.inflight && len(q.queue) == 0
	if mode == modeDirect || (idle && (ctx.Done() == nil || mode == modeLast)) {
		return q.writeDirect(ctx, rec)
	}
	if err := q.startLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	q.queue = append(q.queue, rec...)
	q.accepted += uint64(len(rec))
	target := q.accepted
	signal(q.kick)
	for q.sent < target && q.err == nil {
		if ctx.Err() != nil {
			q.mu.Unlock()
			return nil // accepted: the writer sends it later
		}
		q.mu.Unlock()
		select {
		case <-q.writeWake:
		case <-ctx.Done():
		}
		q.mu.Lock()
	}
	var err error
	if q.sent < target {
		err = q.err
	}
	q.mu.Unlock()
	return err
}

// writeDirect sends rec on the caller's goroutine. Called with mu held; it
// releases it.
func (q *sendQueue) writeDirect(ctx context.Context, rec []byte) error {
	q.inflight = true
	q.mu.Unlock()
	err := q.send(ctx, rec)
	q.mu.Lock()
	q.inflight = false
	if err != nil && q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	q.wakeAll()
	return err
}

// drain waits until everything queued was sent. It returns ctx's error when
// ctx ends first, and the transport's error when a Send failed.
func (q *sendQueue) drain(ctx context.Context) error {
	q.mu.Lock()
	for (len(q.queue) > 0 || q.inflight) && q.err == nil {
		if err := ctx.Err(); err != nil {
			q.mu.Unlock()
			return err
		}
		q.mu.Unlock()
		select {
		case <-q.sendWake:
		case <-ctx.Done():
		}
		q.mu.Lock()
	}
	err := q.err
	q.mu.Unlock()
	return err
}

// pending reports whether accepted bytes are still waiting to be sent.
func (q *sendQueue) pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue) > 0 || q.sent < q.accepted
}

// startLocked starts the writer if it is not running. Called with mu held.
func (q *sendQueue) startLocked() error {
	if q.running {
		return nil
	}
	if q.stopped {
		return stream.ErrClosed
	}
	q.running = true
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.done = make(chan struct{})
	go q.run()
	return nil
}

// run is the writer: it sends whatever is queued, a batch at a time, until
// stop.
func (q *sendQueue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.kick:
		case <-q.ctx.Done():
			return
		}
		for q.sendBatch() {
		}
	}
}

// sendBatch sends what is queued and reports whether there may be more.
func (q *sendQueue) sendBatch() bool {
	q.mu.Lock()
	if len(q.queue) == 0 || q.err != nil || q.inflight {
		q.mu.Unlock()
		return false
	}
	batch := q.queue
	q.queue, q.spare = q.spare[:0], nil
	q.inflight = true
	q.mu.Unlock()

	err := q.send(q.ctx, batch)

	q.mu.Lock()
	q.inflight = false
	if err == nil {
		q.sent += uint64(len(batch))
	} else if q.err == nil {
		q.err = err
	}
	q.spare = batch[:0]
	more := len(q.queue) > 0 && q.err == nil
	q.mu.Unlock()
	q.wakeAll()
	return more
}

func (q *sendQueue) wakeAll() {
	signal(q.writeWake)
	signal(q.sendWake)
}

// stop ends the writer and waits for it: a Send it is running returns once
// the context it was given ends. What is still queued is dropped, and every
// later write fails with stream.ErrClosed. Idempotent.
func (q *sendQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	if q.err == nil {
		q.err = stream.ErrClosed
	}
	running := q.running
	q.mu.Unlock()
	q.wakeAll()
	if running {
		q.cancel()
		<-q.done
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
