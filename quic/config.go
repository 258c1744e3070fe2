package quic

import (
	"context"
	ctls "crypto/tls"
	"fmt"
	"net"
	"net/netip"

	"github.com/anyio-go/anyio/tls"
)

// clientTLS returns the config a client handshake uses: a clone of cfg with
// TLS 1.3 as the minimum and host as ServerName when cfg names none. cfg
// must name an application protocol.
func clientTLS(cfg *ctls.Config, host string) (*ctls.Config, error) {
	if cfg == nil || len(cfg.NextProtos) == 0 {
		return nil, ErrNoApplicationProtocol
	}
	c := cfg.Clone()
	c.MinVersion = max(c.MinVersion, ctls.VersionTLS13)
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c, nil
}

// serverTLS returns the config a server handshake uses: a clone of cfg with
// TLS 1.3 as the minimum. cfg must be able to provide a certificate and name
// an application protocol (or choose its config per client, which then
// must).
func serverTLS(cfg *ctls.Config) (*ctls.Config, error) {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		return nil, tls.ErrNoCertificate
	}
	if len(cfg.NextProtos) == 0 && cfg.GetConfigForClient == nil {
		return nil, ErrNoApplicationProtocol
	}
	c := cfg.Clone()
	c.MinVersion = max(c.MinVersion, ctls.VersionTLS13)
	return c, nil
}

// resolve turns a "host:port" address into the UDP address to dial. A name
// that resolves to several addresses gives the first IPv4 one, or the first
// one when there is none (as net.ResolveUDPAddr does), so "localhost" is
// 127.0.0.1.
func resolve(ctx context.Context, address string) (host string, addr *net.UDPAddr, err error) {
	host, portName, err := net.SplitHostPort(address)
	if err != nil {
		return "", nil, err
	}
	if host == "" {
		return "", nil, fmt.Errorf("address %q: missing host", address)
	}
	port, err := net.DefaultResolver.LookupPort(ctx, "udp", portName)
	if err != nil {
		return "", nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		ips, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if lerr != nil {
			return "", nil, lerr
		}
		ip = preferIPv4(ips)
	}
	return host, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(port))), nil
}

// preferIPv4 returns the first IPv4 address of ips, or the first address.
// The resolver never returns an empty list without an error.
func preferIPv4(ips []netip.Addr) netip.Addr {
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip
		}
	}
	return ips[0]
}

// localFor opens an unconnected UDP socket of the family of raddr, on an
// ephemeral port, to dial raddr from.
func localFor(raddr *net.UDPAddr) (*net.UDPConn, error) {
	network := "udp6"
	if raddr.IP.To4() != nil {
		network = "udp4"
	}
	return net.ListenUDP(network, nil)
}
