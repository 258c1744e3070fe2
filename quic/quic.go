// Package quic is the QUIC transport, on github.com/quic-go/quic-go: Connect
// and Listen give a *Conn, a connection carrying any number of independent
// byte streams (OpenStream, AcceptStream), one-way streams (OpenUniStream,
// AcceptUniStream) and unreliable datagrams (Datagrams). Every stream is a
// stream.ByteStream, stream.ByteSender or stream.ByteReceiver that keeps the
// rules of package stream, so the wrappers of this module (buffered, text,
// codec) stack on it as on TCP, and a *Listener is a stream.Listener[*Conn]
// that stream.Serve runs.
//
// # Configuration
//
// Both ends take a crypto/tls config and a quic-go Config (nil for
// quic-go's defaults). QUIC always runs TLS 1.3 and requires an application
// protocol: a tls config without NextProtos is ErrNoApplicationProtocol, and
// a server config without a certificate is tls.ErrNoCertificate (from this
// module's package tls). The configs are cloned, never modified. A client
// verifies the server's certificate (against the host of the address when
// the config names no ServerName) unless the config explicitly says
// otherwise.
//
// # Streams
//
// The peer learns of a stream when its first bytes (or its end) arrive: its
// AcceptStream returns only then. CloseWrite sends FIN: the peer's Receive
// returns io.EOF after the bytes sent before. Close sends FIN and stops
// reading (STOP_SENDING, code 0), so the peer's later Sends fail with
// stream.ErrBroken; a Send blocked at that moment is woken with
// stream.ErrClosed and its stream reset instead. Abort resets both
// directions with an application error code. A reset or stop from the peer
// is stream.ErrBroken wrapping quic-go's *StreamError, whose ErrorCode is
// the peer's code (errors.As).
//
// # Connections
//
// CloseWithError closes a connection with an application error code and
// wakes every call blocked on it or its streams: they return
// stream.ErrClosed. The peer's calls then return stream.ErrBroken wrapping
// *ApplicationError with that code; a connection that hears nothing from
// its peer for the idle timeout (Config.MaxIdleTimeout) fails with
// stream.ErrBroken wrapping *IdleTimeoutError. Every quic-go error also
// matches net.ErrClosed, so test for stream.ErrClosed to tell a local close.
//
// # UDP socket buffers
//
// quic-go asks the kernel for 7 MB socket buffers and, when the system
// limits refuse, logs once per process: "failed to sufficiently increase
// receive buffer size". QUIC works without them, only with less throughput.
// On Linux, raise the limits with
//
//	sysctl -w net.core.rmem_max=7500000 net.core.wmem_max=7500000
//
// or silence the message with QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true
// in the environment.
package quic

import (
	"errors"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/stream"
)

// Types of quic-go that appear in this package's API and errors, so that
// most programs need not import quic-go themselves.
type (
	// Config is quic-go's connection configuration; nil means its defaults.
	Config = quicgo.Config
	// StreamError reports a stream reset (or stopped) with an application
	// error code; Remote says whether the peer did it.
	StreamError = quicgo.StreamError
	// ApplicationError reports a connection closed with an application error
	// code (CloseWithError); Remote says whether the peer closed it.
	ApplicationError = quicgo.ApplicationError
	// IdleTimeoutError reports a connection that heard nothing from its peer
	// for the idle timeout.
	IdleTimeoutError = quicgo.IdleTimeoutError
)

var (
	// ErrNoApplicationProtocol is returned by Connect and Listen for a tls
	// config without NextProtos: QUIC requires an application protocol
	// (ALPN).
	ErrNoApplicationProtocol = errors.New("quic: tls config has no NextProtos; QUIC requires an application protocol (ALPN)")
	// ErrDatagramsUnsupported is returned by Datagrams when this end or the
	// peer did not enable datagrams (Config.EnableDatagrams).
	ErrDatagramsUnsupported = errors.New("quic: datagrams not supported on this connection")
)

// Attributes answered by Conn, its streams and Listener, besides
// stream.LocalAddr, stream.RemoteAddr, stream.LocalPort, stream.RemotePort
// and the attributes of package tls (ConnectionState, ALPNProtocol,
// ServerSide, PeerCertificates, Version, CipherSuite).
var (
	// StreamID is the QUIC stream ID of a stream.
	StreamID = stream.NewAttribute[int64]("quic stream id")
	// ConnectionState is quic-go's state of the connection: TLS state,
	// datagram support, QUIC version.
	ConnectionState = stream.NewAttribute[quicgo.ConnectionState]("quic connection state")
	// Connection is the quic-go connection itself, for what this package
	// does not offer. Using its streams or closing it behind the back of a
	// Conn breaks the Conn's rules.
	Connection = stream.NewAttribute[*quicgo.Conn]("quic connection")
)
