package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// bindTries is how many times Listen binds a whole set of addresses on an
// ephemeral port before giving up: the port the first bind got may be taken
// on another address.
const bindTries = 5

// Listener accepts TCP connections on one or more addresses sharing a port.
// It is a stream.Listener[*Stream]. Accept may be called from several
// goroutines at once; Close wakes every blocked Accept with stream.ErrClosed.
//
// Extra answers stream.LocalAddr (the first address) and stream.LocalPort.
type Listener struct {
	cfg       config
	lns       []*net.TCPListener
	acceptors []*acceptor // one per listener in lns
	addrs     []net.Addr
	closed    chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error

	// With several addresses, one goroutine per address accepts and hands
	// connections over queue; they start with the first Accept and Close
	// waits for them.
	startLoops sync.Once
	queue      chan accepted
	loops      sync.WaitGroup
	stopLoops  context.CancelFunc
	loopCtx    context.Context
}

var _ stream.Listener[*Stream] = (*Listener)(nil)

// acceptor makes Accept on one of the listener's sockets cancellable.
type acceptor = deadline.Acceptor[*net.TCPConn]

// accepted is what an accept loop hands over: a connection or an error.
type accepted struct {
	conn *net.TCPConn
	err  error
}

// Listen listens for TCP connections on address ("host:port"; the port may
// be a service name, and 0 or empty picks a free one).
//
// An empty host listens on every interface, IPv6 and IPv4 on one dual-stack
// socket where the system allows it. An IP address listens on that address.
// A name is resolved and every address it has is listened on, with one port:
// with port 0, the port the first bind got is used for the others, and the
// whole set is retried a few times if that port is taken elsewhere.
//
// ctx bounds resolution and binding only; the listener lives until Close.
// Errors name the address and say what was wrong: malformed, unknown host,
// already in use (errors.Is(err, syscall.EADDRINUSE)).
func Listen(ctx context.Context, address string, opts ...Option) (*Listener, error) {
	cfg := newConfig(opts)
	lns, err := listen(ctx, &cfg, address)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen %s: %w", address, err)
	}
	l := &Listener{cfg: cfg, closed: make(chan struct{})}
	for _, ln := range lns {
		l.lns = append(l.lns, ln)
		l.acceptors = append(l.acceptors, deadline.NewAcceptor(ln.SetDeadline, ln.AcceptTCP))
		l.addrs = append(l.addrs, ln.Addr())
	}
	return l, nil
}

// listen resolves address and binds it.
func listen(ctx context.Context, cfg *config, address string) ([]*net.TCPListener, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	host, port, err := splitAddress(ctx, cfg, address)
	if err != nil {
		return nil, err
	}
	lc := &net.ListenConfig{KeepAlive: cfg.keepAlive}
	if cfg.reusePort {
		lc.Control = controlReusePort
	}
	if host == "" {
		// Network "tcp" on the unspecified address is dual-stack.
		return bindOne(ctx, cfg, lc, "tcp", net.JoinHostPort("", strconv.Itoa(int(port))))
	}
	ips, err := lookupHost(ctx, cfg, host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 1 {
		return bindOne(ctx, cfg, lc, "tcp", netip.AddrPortFrom(ips[0], port).String())
	}
	for try := 1; ; try++ {
		lns, err := bindAll(ctx, cfg, lc, ips, port)
		if err == nil || port != 0 || try == bindTries || !errors.Is(err, syscall.EADDRINUSE) {
			return lns, err
		}
	}
}

// bind listens on one address with lc, or with the hook tests set.
func (c *config) bind(ctx context.Context, lc *net.ListenConfig, network, addr string) (net.Listener, error) {
	if c.listen != nil {
		return c.listen(ctx, lc, network, addr)
	}
	return lc.Listen(ctx, network, addr)
}

// bindOne listens on a single address.
func bindOne(ctx context.Context, cfg *config, lc *net.ListenConfig, network, addr string) ([]*net.TCPListener, error) {
	ln, err := cfg.bind(ctx, lc, network, addr)
	if err != nil {
		return nil, err
	}
	return []*net.TCPListener{ln.(*net.TCPListener)}, nil
}

// bindAll listens on every ip with one port: port, or if that is 0 the port
// the first bind got. Each socket is bound to its own family only, so that
// an IPv6 socket does not claim the IPv4 port too.
func bindAll(ctx context.Context, cfg *config, lc *net.ListenConfig, ips []netip.Addr, port uint16) ([]*net.TCPListener, error) {
	lns := make([]*net.TCPListener, 0, len(ips))
	for _, ip := range ips {
		network := "tcp6"
		if ip.Is4() {
			network = "tcp4"
		}
		ln, err := cfg.bind(ctx, lc, network, netip.AddrPortFrom(ip, port).String())
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		tl := ln.(*net.TCPListener)
		lns = append(lns, tl)
		if port == 0 {
			port = uint16(tl.Addr().(*net.TCPAddr).Port)
		}
	}
	return lns, nil
}

// Accept waits for the next connection and returns it as a *Stream, with
// the listener's options applied. A cancelled ctx ends the wait with an
// error for which errors.Is(err, ctx.Err()) holds; Close ends it with
// stream.ErrClosed. Other errors (EMFILE, ECONNABORTED: the system ran out
// of something) wrap the cause; the listener stays usable after them.
func (l *Listener) Accept(ctx context.Context) (*Stream, error) {
	for {
		conn, err := l.accept(ctx)
		if err != nil {
			return nil, fmt.Errorf("tcp: accept: %w", err)
		}
		if s, err := newStream(conn, &l.cfg); err == nil {
			return s, nil
		}
		// The connection died before its options could be set (and
		// newStream closed it): its client's failure, not the
		// listener's, so take the next one.
	}
}

func (l *Listener) accept(ctx context.Context) (*net.TCPConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(l.acceptors) == 1 {
		return l.acceptors[0].Accept(ctx, l.closed)
	}
	l.startLoops.Do(l.start)
	select {
	case a := <-l.queue:
		return a.conn, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.closed:
		return nil, stream.ErrClosed
	}
}

// start runs one accept loop per address.
func (l *Listener) start() {
	l.queue = make(chan accepted)
	l.loopCtx, l.stopLoops = context.WithCancel(context.Background())
	for _, a := range l.acceptors {
		l.loops.Go(func() { l.loop(a) })
	}
}

// loop accepts on a and hands each result over until the listener closes.
// Errors are handed over too, so that Accept's callers can back off; the
// hand-over waits for a caller, which paces the loop.
func (l *Listener) loop(a *acceptor) {
	for {
		conn, err := a.Accept(l.loopCtx, l.closed)
		if err != nil && l.loopCtx.Err() != nil {
			return
		}
		select {
		case l.queue <- accepted{conn: conn, err: err}:
		case <-l.closed:
			if conn != nil {
				conn.Close()
			}
			return
		}
		if errors.Is(err, stream.ErrClosed) {
			return
		}
	}
}

// Addrs returns the addresses the listener is bound to, all with the same
// port.
func (l *Listener) Addrs() []net.Addr {
	return append([]net.Addr(nil), l.addrs...)
}

// Close stops listening on every address and wakes blocked Accept calls
// with stream.ErrClosed. Connections already accepted stay open. It is
// idempotent; it returns once nothing of the listener is left running.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		var errs []error
		for _, ln := range l.lns {
			if err := ln.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		// Settle start: either it has run, and its loops must be stopped,
		// or it never will.
		l.startLoops.Do(func() {})
		if l.stopLoops != nil {
			l.stopLoops()
		}
		l.loops.Wait()
		if len(errs) > 0 {
			l.closeErr = fmt.Errorf("tcp: close listener: %w", errors.Join(errs...))
		}
	})
	return l.closeErr
}

// Extra answers stream.LocalAddr (the first address) and stream.LocalPort.
func (l *Listener) Extra(key any) (any, bool) {
	switch key {
	case stream.LocalAddr:
		return l.addrs[0], true
	case stream.LocalPort:
		return l.addrs[0].(*net.TCPAddr).Port, true
	}
	return nil, false
}
