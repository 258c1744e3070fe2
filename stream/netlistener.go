package stream

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// NetListener returns a net.Listener that accepts from l and hands out each
// connection as a net.Conn made by NetConn, so that net/http and other code
// written for net can serve over any listener in this toolkit:
//
//	http.Serve(stream.NetListener(l), handler)
//
// Close closes l and wakes a blocked Accept; Accept then returns an error
// wrapping net.ErrClosed (http.Server treats it as the end of serving). A
// second Close returns ErrClosed. Connections already accepted stay open.
// Accept may be called from several goroutines if l allows it. Addr is l's
// LocalAddr attribute, or a placeholder address when l has none.
func NetListener[T ByteStream](l Listener[T]) net.Listener {
	ctx, cancel := context.WithCancel(context.Background())
	addr := ExtraOr[net.Addr](l, LocalAddr, nil)
	if addr == nil {
		addr = streamAddr{}
	}
	return &netListener[T]{l: l, addr: addr, ctx: ctx, cancel: cancel}
}

type netListener[T ByteStream] struct {
	l      Listener[T]
	addr   net.Addr
	ctx    context.Context // ends when Close is called
	cancel context.CancelFunc
	once   sync.Once
}

// Accept waits for the next connection from the listener.
func (n *netListener[T]) Accept() (net.Conn, error) {
	s, err := n.l.Accept(n.ctx)
	if err != nil {
		if n.ctx.Err() != nil {
			return nil, fmt.Errorf("stream: accept: %w", ErrClosed)
		}
		return nil, err
	}
	return NetConn(s), nil
}

// Close closes the listener. See NetListener.
func (n *netListener[T]) Close() error {
	err := ErrClosed
	n.once.Do(func() {
		n.cancel()
		err = n.l.Close()
	})
	return err
}

// Addr returns the listener's local address.
func (n *netListener[T]) Addr() net.Addr { return n.addr }

// Extra forwards every attribute to the listener.
func (n *netListener[T]) Extra(key any) (any, bool) { return ForwardExtra(n.l, key) }
