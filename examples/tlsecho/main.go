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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	ctls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

func main() {
	if err := runUntilSignalled(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tlsecho:", err)
		os.Exit(1)
	}
}

// runUntilSignalled runs the server until SIGINT or SIGTERM.
func runUntilSignalled(args []string, logOut io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, logOut)
}

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
	log.Info("certificate", "subject", cert.Leaf.Subject.String(), "sha256", fingerprint(cert.Leaf))

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
		return selfSigned()
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

// selfSigned makes an ECDSA P-256 certificate for localhost, valid for a
// week, signed by its own key.
func selfSigned() (ctls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ctls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return ctls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"tlsecho"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return ctls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return ctls.Certificate{}, err
	}
	return ctls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// fingerprint is the SHA-256 of the certificate, for clients to pin it.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
