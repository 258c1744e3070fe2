package tcp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// Connect opens a TCP connection to address ("host:port", "[ipv6]:port";
// the port may be a service name). An empty host (":port") means this
// machine: ::1 and 127.0.0.1, raced.
//
// A host name is resolved and its addresses are raced the happy-eyeballs way
// (RFC 8305): IPv6 and IPv4 addresses are interleaved, IPv6 first; each
// attempt runs alone for the happy-eyeballs delay (WithHappyEyeballsDelay)
// before the next one starts beside it, and a failed attempt starts the next
// one at once. The first connection established wins; every other attempt is
// cancelled, and any connection it made anyway is closed. When every attempt
// fails, the error says so and joins each address's error, so errors.Is
// reaches every cause (syscall.ECONNREFUSED, say).
//
// Cancelling ctx aborts every attempt; Connect then returns an error for
// which errors.Is(err, ctx.Err()) holds and leaves nothing running. Errors
// name the address and what was wrong with it: malformed, unknown host,
// refused.
func Connect(ctx context.Context, address string, opts ...Option) (*Stream, error) {
	cfg := newConfig(opts)
	conn, err := connect(ctx, &cfg, address)
	if err != nil {
		return nil, fmt.Errorf("tcp: connect %s: %w", address, err)
	}
	return newStream(conn, &cfg)
}

// Connector connects to a fixed address with fixed options. It implements
// stream.Connector[stream.ByteStream], so code that dials can stay
// independent of the transport. The zero value has no address; its Connect
// fails.
type Connector struct {
	// Address is handed to Connect.
	Address string
	// Options are handed to Connect.
	Options []Option
}

// Connect calls Connect(ctx, c.Address, c.Options...). It returns a *Stream.
func (c Connector) Connect(ctx context.Context) (stream.ByteStream, error) {
	s, err := Connect(ctx, c.Address, c.Options...)
	if err != nil {
		return nil, err
	}
	return s, nil
}

var _ stream.Connector[stream.ByteStream] = Connector{}

// connect resolves address and races its addresses.
func connect(ctx context.Context, cfg *config, address string) (*net.TCPConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var local localAddress
	if cfg.localAddr != "" {
		var err error
		if local, err = parseLocalAddress(cfg.localAddr); err != nil {
			return nil, err
		}
	}
	host, port, err := splitAddress(ctx, cfg, address)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		return nil, fmt.Errorf("malformed address: no port to connect to")
	}
	ips := localSystem
	if host != "" {
		if ips, err = lookupHost(ctx, cfg, host); err != nil {
			return nil, err
		}
	}
	targets := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range interleave(ips) {
		if local.matches(ip) {
			targets = append(targets, netip.AddrPortFrom(ip, port))
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("no address of %s matches the local address %s's family", host, cfg.localAddr)
	}
	d := &net.Dialer{KeepAlive: cfg.keepAlive}
	if a := local.tcpAddr(); a != nil {
		d.LocalAddr = a // a typed nil would show as "<nil>" in errors
	}
	conn, err := race(ctx, cfg, d, targets)
	if err != nil {
		return nil, err
	}
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("dialler returned a %T, not a TCP connection", conn)
	}
	return tc, nil
}

// localSystem is what an empty host connects to: this machine, over
// either family.
var localSystem = []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}

// attempt is the outcome of one connection attempt.
type attempt struct {
	index int
	conn  net.Conn
	err   error
}

// race runs the happy-eyeballs race over targets, in order. It returns only
// once every attempt it started has ended, so no goroutine outlives it.
func race(ctx context.Context, cfg *config, d *net.Dialer, targets []netip.AddrPort) (net.Conn, error) {
	dial := cfg.dial
	if dial == nil {
		dial = dialOne
	}
	if len(targets) == 1 {
		// Nothing to race: dial here, without a goroutine or timer.
		c, err := dial(ctx, d, targets[0])
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return c, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Buffered so that an attempt never blocks reporting, even after the
	// race is decided.
	results := make(chan attempt, len(targets))
	errs := make([]error, len(targets))
	next, running := 0, 0
	delay := time.NewTimer(cfg.delay)
	defer delay.Stop()
	start := func() {
		i := next
		next++
		running++
		go func() {
			c, err := dial(ctx, d, targets[i])
			results <- attempt{index: i, conn: c, err: err}
		}()
		delay.Reset(cfg.delay)
	}

	start()
	for running > 0 {
		var tick <-chan time.Time
		if next < len(targets) {
			tick = delay.C
		}
		select {
		case <-tick:
			start()
		case r := <-results:
			running--
			if r.err == nil {
				cancel()
				drain(results, running)
				return r.conn, nil
			}
			errs[r.index] = r.err
			if next < len(targets) {
				start()
			}
		case <-ctx.Done():
			// Only the caller's ctx can end here: cancel is called above
			// just before returning.
			drain(results, running)
			return nil, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		// The attempts failed because the caller gave up; say that.
		return nil, err
	}
	return nil, joinAttempts(errs)
}

// drain waits for the n attempts still running, closing any connection they
// made after losing the race.
func drain(results <-chan attempt, n int) {
	for ; n > 0; n-- {
		if r := <-results; r.conn != nil {
			r.conn.Close()
		}
	}
}

// dialOne makes a single connection attempt; net.Dialer does the work.
func dialOne(ctx context.Context, d *net.Dialer, addr netip.AddrPort) (net.Conn, error) {
	return d.DialContext(ctx, "tcp", addr.String())
}

// joinAttempts returns the error for a race every attempt of which failed.
// A single attempt's error is returned as it is.
func joinAttempts(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return &attemptsError{errs: errs}
}

// attemptsError is the error of a race that every attempt lost. Unwrap gives
// each attempt's error, so errors.Is and errors.As reach every cause.
type attemptsError struct{ errs []error }

func (e *attemptsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "all %d attempts failed", len(e.errs))
	for i, err := range e.errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e *attemptsError) Unwrap() []error { return e.errs }
