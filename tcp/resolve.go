package tcp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// splitAddress splits "host:port" and resolves the port, which may be a
// number or a service name ("http").
func splitAddress(ctx context.Context, cfg *config, address string) (host string, port uint16, err error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, fmt.Errorf("malformed address: %w", err)
	}
	if service == "" {
		return host, 0, nil
	}
	p, err := cfg.resolverOrDefault().LookupPort(ctx, "tcp", service)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q: %w", service, err)
	}
	return host, uint16(p), nil
}

// resolverOrDefault is the resolver names are looked up with.
func (c *config) resolverOrDefault() *net.Resolver {
	if c.resolver != nil {
		return c.resolver
	}
	return net.DefaultResolver
}

// lookupHost returns the IP addresses of host, a name or an IP literal
// (IPv6 with an optional zone). IPv4-mapped IPv6 answers are unmapped and
// duplicates dropped, keeping the resolver's order.
func lookupHost(ctx context.Context, cfg *config, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	if isInvalidName(host) {
		// RFC 6761, section 6.4: names under .invalid never resolve, and
		// resolvers should say so at once rather than ask the network.
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var addrs []netip.Addr
	var err error
	if cfg.lookup != nil {
		addrs, err = cfg.lookup(ctx, host)
	} else {
		addrs, err = cfg.resolverOrDefault().LookupNetIP(ctx, "ip", host)
	}
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !containsAddr(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return out, nil
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

// isInvalidName reports whether host lies under the reserved .invalid
// top-level domain.
func isInvalidName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "invalid" || strings.HasSuffix(h, ".invalid")
}

// interleave orders addrs for happy eyeballs (RFC 8305, section 4): IPv6
// first, then alternating between the families, each family keeping the
// resolver's order, so that a broken family costs at most one delay.
func interleave(addrs []netip.Addr) []netip.Addr {
	var v6, v4 []netip.Addr
	for _, a := range addrs {
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	out := make([]netip.Addr, 0, len(addrs))
	for len(v6) > 0 || len(v4) > 0 {
		if len(v6) > 0 {
			out = append(out, v6[0])
			v6 = v6[1:]
		}
		if len(v4) > 0 {
			out = append(out, v4[0])
			v4 = v4[1:]
		}
	}
	return out
}

// localAddress is a parsed WithLocalAddress value. An invalid ip means any
// address of the destination's family.
type localAddress struct {
	ip   netip.Addr
	port uint16
}

// parseLocalAddress parses "ip", "ip:port", "[ipv6]:port" or ":port".
func parseLocalAddress(s string) (localAddress, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return localAddress{ip: ip.Unmap()}, nil
	}
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return localAddress{}, fmt.Errorf("local address %q: %w", s, err)
	}
	var la localAddress
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return localAddress{}, fmt.Errorf("local address %q: host must be an IP address", s)
		}
		la.ip = ip.Unmap()
	}
	if portStr != "" {
		p, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			return localAddress{}, fmt.Errorf("local address %q: bad port %q", s, portStr)
		}
		la.port = uint16(p)
	}
	return la, nil
}

// tcpAddr returns the address to bind to, or nil for "let the kernel pick".
func (la localAddress) tcpAddr() *net.TCPAddr {
	if !la.ip.IsValid() && la.port == 0 {
		return nil
	}
	a := &net.TCPAddr{Port: int(la.port)}
	if la.ip.IsValid() {
		a.IP = la.ip.AsSlice()
		a.Zone = la.ip.Zone()
	}
	return a
}

// matches reports whether a destination can be reached from la's family.
func (la localAddress) matches(dst netip.Addr) bool {
	return !la.ip.IsValid() || la.ip.Is4() == dst.Is4()
}
