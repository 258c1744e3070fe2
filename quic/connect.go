package quic

import (
	"context"
	ctls "crypto/tls"
	"fmt"
)

// Connect opens a QUIC connection to address ("host:port") and completes its
// handshake. tlsConfig must name the application protocol (NextProtos); the
// server's certificate is verified against its ServerName, or against the
// host of address when it names none, with the config's RootCAs (system
// roots when nil). quicConfig may be nil for quic-go's defaults. Neither
// config is modified.
//
// A name that resolves to several addresses is dialled at the first IPv4
// one (the first one when none is IPv4). The connection has a UDP socket of
// its own, closed with it. ctx bounds resolution and handshake; on error
// nothing is left open and, when ctx ended, errors.Is(err, ctx.Err()) holds.
func Connect(ctx context.Context, address string, tlsConfig *ctls.Config, quicConfig *Config) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("quic: connect: %w", err)
	}
	if tlsConfig == nil || len(tlsConfig.NextProtos) == 0 {
		return nil, fmt.Errorf("quic: connect: %w", ErrNoApplicationProtocol)
	}
	host, raddr, err := resolve(ctx, address)
	if err != nil {
		return nil, fmt.Errorf("quic: connect: %w", err)
	}
	cfg, err := clientTLS(tlsConfig, host)
	if err != nil {
		return nil, fmt.Errorf("quic: connect: %w", err)
	}
	pc, err := localFor(raddr)
	if err != nil {
		return nil, fmt.Errorf("quic: connect: %w", err)
	}
	sock := newSocket(pc)
	qc, err := sock.tr.Dial(ctx, raddr, cfg, quicConfig)
	if err != nil {
		sock.release()
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("quic: connect %s: %w", address, cerr)
		}
		return nil, fmt.Errorf("quic: connect %s: %w", address, err)
	}
	return newConn(qc, false, sock), nil
}
