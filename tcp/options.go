package tcp

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// DefaultHappyEyeballsDelay is how long Connect waits for a connection
// attempt before starting the next one in parallel (RFC 8305, section 5).
const DefaultHappyEyeballsDelay = 250 * time.Millisecond

// minHappyEyeballsDelay is the floor RFC 8305 sets for the attempt delay, so
// that a short setting cannot turn Connect into a SYN flood.
const minHappyEyeballsDelay = 10 * time.Millisecond

// Option configures Connect, Listen and Connector. Each option says which of
// them it affects; the others ignore it.
type Option func(*config)

// config is the set of options one call runs with.
type config struct {
	localAddr string
	delay     time.Duration
	noDelay   bool
	keepAlive time.Duration
	reusePort bool
	resolver  *net.Resolver

	// lookup, dial and listen replace name resolution, single connection
	// attempts and binds; tests set them to script races and failures.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	dial   func(ctx context.Context, d *net.Dialer, addr netip.AddrPort) (net.Conn, error)
	listen func(ctx context.Context, lc *net.ListenConfig, network, addr string) (net.Listener, error)
}

// newConfig applies opts over the defaults.
func newConfig(opts []Option) config {
	c := config{delay: DefaultHappyEyeballsDelay, noDelay: true}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithLocalAddress makes Connect bind its socket to addr before connecting:
// an IP address, optionally with a port ("192.0.2.1", "[::1]:0",
// "10.0.0.1:4000"), or just a port (":4000"). Only destination addresses of
// the same family as a local IP are tried. An address that cannot be parsed
// makes Connect fail, naming it.
func WithLocalAddress(addr string) Option {
	return func(c *config) { c.localAddr = addr }
}

// WithHappyEyeballsDelay sets how long Connect lets one connection attempt
// run alone before starting the next address in parallel. The default is
// DefaultHappyEyeballsDelay; d <= 0 restores it, and positive values under
// 10 ms are raised to 10 ms, the minimum RFC 8305 allows. A failed attempt
// starts the next one at once, whatever the delay.
func WithHappyEyeballsDelay(d time.Duration) Option {
	return func(c *config) {
		switch {
		case d <= 0:
			c.delay = DefaultHappyEyeballsDelay
		case d < minHappyEyeballsDelay:
			c.delay = minHappyEyeballsDelay
		default:
			c.delay = d
		}
	}
}

// WithNoDelay sets TCP_NODELAY on connections made by Connect and accepted by
// a Listener: true (the default) sends small writes at once, false lets the
// kernel coalesce them (Nagle's algorithm).
func WithNoDelay(on bool) Option {
	return func(c *config) { c.noDelay = on }
}

// WithKeepAlive sets TCP keep-alive on connections made by Connect and
// accepted by a Listener: d > 0 is how long a connection stays idle before
// the first probe, d < 0 turns keep-alives off, and 0 keeps the net
// package's default (on, 15 s). Probes then follow at the net package's
// default interval.
func WithKeepAlive(d time.Duration) Option {
	return func(c *config) { c.keepAlive = d }
}

// WithReusePort sets SO_REUSEPORT on the sockets Listen creates, so that
// several listeners (in one process or several) can share an address and
// port, the kernel spreading connections among them. Connect ignores it. On
// systems without SO_REUSEPORT, Listen fails.
func WithReusePort() Option {
	return func(c *config) { c.reusePort = true }
}

// WithResolver makes Connect and Listen look host names up with r instead of
// net.DefaultResolver. A nil r restores the default.
func WithResolver(r *net.Resolver) Option {
	return func(c *config) { c.resolver = r }
}
