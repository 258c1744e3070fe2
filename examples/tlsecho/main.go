// Command tlsecho is an echo server over TLS: whatever a client sends comes
// back to it, encrypted. It listens on TCP with a tls.Listener, so a client
// that stalls or speaks garbage during its handshake never holds up the
// others, runs one handler per connection through stream.Serve, logs with
// log/slog to standard error, and shuts down gracefully on SIGINT or
// SIGTERM.
//
// Without -cert and -key it makes a self-signed certificate for localhost,
// 127.0.0.1 and ::1 at start and logs its SHA-256 fingerprint.
//
//	go run ./examples/tlsecho                                # 127.0.0.1:7443
//	go run ./examples/tlsecho -cert server.crt -key server.key
//
// Try it with: openssl s_client -connect 127.0.0.1:7443 -quiet
package main

import (
	"context"
	ctls "crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/anyio-go/anyio/internal/cmdmain"
	"github.com/anyio-go/anyio/internal/selfsigned"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

// main serves until SIGINT or SIGTERM, logging to standard error, and exits
// with status 1 if the server fails.
func main() { cmdmain.Run("tlsecho", os.Stderr, run) }

// run parses args, then serves until ctx ends, logging to logOut. It
// returns nil after a graceful shutdown.
func run(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("tlsecho", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:7443", "TCP `address` to listen on (host:port; port 0 picks one)")
	certFile := fs.String("cert", "", "PEM certificate `file` (with -key; default: a fresh self-signed one)")
	keyFile := fs.String("key", "", "PEM private key `file` for -cert")
	timeout := fs.Duration("handshake-timeout", tls.DefaultHandshakeTimeout, "bound on each client's handshake")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("-cert and -key go together")
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	cert, err := loadCertificate(*certFile, *keyFile)
	if err != nil {
		return err
	}
	log.Info("certificate", "subject", cert.Leaf.Subject.String(), "sha256", selfsigned.Fingerprint(cert.Leaf))

	inner, err := tcp.Listen(ctx, *addr)
	if err != nil {
		return err
	}
	l := tls.NewListener(inner, &ctls.Config{Certificates: []ctls.Certificate{cert}},
		tls.WithHandshakeTimeout(*timeout),
		tls.OnHandshakeError(func(err error) { log.Warn("handshake failed", "error", err) }))
	defer l.Close()
	log.Info("listening", "addr", inner.Addrs()[0].String())
	err = stream.Serve(ctx, l, func(ctx context.Context, s *tls.Stream) { echo(ctx, s, log) },
		stream.WithLogger(log))
	log.Info("stopped")
	return err
}

// echo sends back everything s receives. When the client ends its side
// (close_notify), it ends its own after the last byte; when ctx ends, it
// returns and Serve closes the connection.
func echo(ctx context.Context, s *tls.Stream, log *slog.Logger) {
	peer := stream.ExtraOr[net.Addr](s, stream.RemoteAddr, nil)
	log.Info("connected", "peer", peer,
		"version", ctls.VersionName(stream.ExtraOr(s, tls.Version, 0)),
		"cipher", ctls.CipherSuiteName(stream.ExtraOr(s, tls.CipherSuite, 0)))
	var total int64
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Receive(ctx, buf)
		if err == io.EOF {
			_ = s.CloseWrite()
			log.Info("done", "peer", peer, "bytes", total)
			return
		}
		if err == nil {
			err = s.Send(ctx, buf[:n])
			total += int64(n)
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				log.Warn("connection failed", "peer", peer, "bytes", total, "error", err)
			}
			return
		}
	}
}

// loadCertificate reads the certificate and key files, or makes a
// self-signed certificate when both names are empty.
func loadCertificate(certFile, keyFile string) (ctls.Certificate, error) {
	if certFile == "" {
		return selfsigned.New("tlsecho")
	}
	cert, err := ctls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return ctls.Certificate{}, err
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return ctls.Certificate{}, err
		}
	}
	return cert, nil
}
