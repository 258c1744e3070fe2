package deadline

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// Acceptor makes Accept on one listener cancellable by a context: the
// context's AfterFunc moves the listener's deadline into the past. A
// deadline belongs to the whole listener, so callers take turns. C is the
// listener's connection type (*net.TCPConn, *net.UnixConn).
type Acceptor[C any] struct {
	setDeadline func(time.Time) error
	accept      func() (C, error)
	// turn is held (one token) by the goroutine inside accept.
	turn chan struct{}
	// fired receives once the AfterFunc of the current turn has set the
	// deadline, so that the turn can undo it before passing on.
	fired chan struct{}
}

// NewAcceptor returns an Acceptor for a listener whose deadline setDeadline
// sets and whose accept method is accept, as in
// NewAcceptor(ln.SetDeadline, ln.AcceptTCP). Nothing else may set that
// listener's deadline.
func NewAcceptor[C any](setDeadline func(time.Time) error, accept func() (C, error)) *Acceptor[C] {
	return &Acceptor[C]{
		setDeadline: setDeadline,
		accept:      accept,
		turn:        make(chan struct{}, 1),
		fired:       make(chan struct{}, 1),
	}
}

// Accept waits for a turn, then for a connection. It returns ctx.Err() when
// ctx ends first and stream.ErrClosed once closed is closed or the listener
// is; other errors of the listener are returned as they are, and the next
// Accept tries again.
func (a *Acceptor[C]) Accept(ctx context.Context, closed <-chan struct{}) (C, error) {
	var zero C
	select {
	case a.turn <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-closed:
		return zero, stream.ErrClosed
	}
	defer func() { <-a.turn }()
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() {
			a.setDeadline(Past)
			a.fired <- struct{}{}
		})
	}
	conn, err := a.accept()
	if stop != nil && !stop() {
		// The AfterFunc has run or is running: wait for its deadline, then
		// clear it for the next turn.
		<-a.fired
		a.setDeadline(time.Time{})
	}
	if err == nil {
		return conn, nil
	}
	switch {
	case errors.Is(err, net.ErrClosed):
		return zero, stream.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return zero, ctx.Err()
	}
	return zero, err
}
