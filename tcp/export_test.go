package tcp

import (
	"context"
	"net"
	"net/netip"
)

// WithLookup replaces name resolution, for scripting dual-stack answers.
func WithLookup(f func(ctx context.Context, host string) ([]netip.Addr, error)) Option {
	return func(c *config) { c.lookup = f }
}

// WithAttempt replaces each single connection attempt, for scripting the
// happy-eyeballs race. dial makes a real connection.
func WithAttempt(f func(ctx context.Context, addr netip.AddrPort, dial func(context.Context) (net.Conn, error)) (net.Conn, error)) Option {
	return func(c *config) {
		c.dial = func(ctx context.Context, d *net.Dialer, addr netip.AddrPort) (net.Conn, error) {
			return f(ctx, addr, func(ctx context.Context) (net.Conn, error) { return dialOne(ctx, d, addr) })
		}
	}
}

// WithBind replaces each bind, for scripting address clashes. listen makes
// a real listener.
func WithBind(f func(network, addr string, listen func() (net.Listener, error)) (net.Listener, error)) Option {
	return func(c *config) {
		c.listen = func(ctx context.Context, lc *net.ListenConfig, network, addr string) (net.Listener, error) {
			return f(network, addr, func() (net.Listener, error) { return lc.Listen(ctx, network, addr) })
		}
	}
}
