package tls

import (
	"context"
	ctls "crypto/tls"
	"fmt"
	"net"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// Connect opens a TCP connection to address ("host:port") and runs the
// client side of a TLS handshake over it. config may be nil (system roots);
// when it names no ServerName and no WithHostname is given, the host part of
// address is used, so the server's certificate is verified against the name
// dialled. ctx bounds the TCP connection and the handshake; on error nothing
// is left open.
func Connect(ctx context.Context, address string, config *ctls.Config, opts ...Option) (*Stream, error) {
	o := newOptions(opts)
	o.server = false
	cfg := clientConfig(config, &o, hostOf(address))
	transport, err := tcp.Connect(ctx, address)
	if err != nil {
		return nil, fmt.Errorf("tls: connect: %w", err)
	}
	return handshake(ctx, transport, cfg, &o)
}

// Connector makes TLS connections over the connections another connector
// makes. It implements stream.Connector[stream.ByteStream]; Connect returns a
// *Stream. Config and Options are used as Wrap uses them, as the client; when
// neither names the server and Inner is a tcp.Connector, the host of its
// Address is the server name.
type Connector struct {
	// Inner makes the transport connections.
	Inner stream.Connector[stream.ByteStream]
	// Config is the client configuration; nil means system roots.
	Config *ctls.Config
	// Options are handed to every handshake.
	Options []Option
}

var _ stream.Connector[stream.ByteStream] = Connector{}

// Connect makes a transport connection with Inner and handshakes over it. On
// error nothing is left open.
func (c Connector) Connect(ctx context.Context) (stream.ByteStream, error) {
	if c.Inner == nil {
		return nil, fmt.Errorf("tls: connect: no inner connector")
	}
	o := newOptions(c.Options)
	o.server = false
	cfg := clientConfig(c.Config, &o, innerHost(c.Inner))
	transport, err := c.Inner.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("tls: connect: %w", err)
	}
	s, err := handshake(ctx, transport, cfg, &o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// innerHost returns the host a known connector dials, or "".
func innerHost(inner stream.Connector[stream.ByteStream]) string {
	switch c := inner.(type) {
	case tcp.Connector:
		return hostOf(c.Address)
	case *tcp.Connector:
		return hostOf(c.Address)
	}
	return ""
}

// hostOf returns the host part of a "host:port" address, or the address
// itself when it has no port.
func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	return host
}
