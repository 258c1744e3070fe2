package tls

import (
	ctls "crypto/tls"
	"crypto/x509"

	"github.com/anyio-go/anyio/stream"
)

// Attributes a Stream answers. Every other attribute is forwarded to the
// transport, so TLS over TCP still reports stream.RemoteAddr, and a wrapper
// over a Stream still reports these.
var (
	// ConnectionState is the full state of the TLS connection.
	ConnectionState = stream.NewAttribute[ctls.ConnectionState]("tls connection state")
	// ALPNProtocol is the application protocol negotiated with ALPN, or ""
	// when none was.
	ALPNProtocol = stream.NewAttribute[string]("tls alpn protocol")
	// ServerSide reports whether this end took the server side of the
	// handshake.
	ServerSide = stream.NewAttribute[bool]("tls server side")
	// PeerCertificates is the certificate chain the peer presented, leaf
	// first; empty when it presented none.
	PeerCertificates = stream.NewAttribute[[]*x509.Certificate]("tls peer certificates")
	// Version is the negotiated TLS version (crypto/tls's VersionTLS12,
	// VersionTLS13).
	Version = stream.NewAttribute[uint16]("tls version")
	// CipherSuite is the negotiated cipher suite's ID.
	CipherSuite = stream.NewAttribute[uint16]("tls cipher suite")
	// StandardCompatibleAttr reports whether the stream is
	// standard-compatible (see StandardCompatible).
	StandardCompatibleAttr = stream.NewAttribute[bool]("tls standard compatible")
)

// Extra answers the attributes above and forwards every other key to the
// transport. It is safe to call at any time, also after Close.
func (s *Stream) Extra(key any) (any, bool) {
	switch key {
	case ConnectionState:
		return s.conn.ConnectionState(), true
	case ALPNProtocol:
		return s.conn.ConnectionState().NegotiatedProtocol, true
	case ServerSide:
		return s.server, true
	case PeerCertificates:
		return s.conn.ConnectionState().PeerCertificates, true
	case Version:
		return s.conn.ConnectionState().Version, true
	case CipherSuite:
		return s.conn.ConnectionState().CipherSuite, true
	case StandardCompatibleAttr:
		return s.strict, true
	}
	return stream.ForwardExtra(s.transport, key)
}
