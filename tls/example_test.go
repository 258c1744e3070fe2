package tls_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	ctls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// TLS over an in-memory pipe: the same code runs over TCP, a Unix socket or
// any other byte stream.
func ExampleWrap() {
	cert, roots := exampleCertificate("example.test")
	clientEnd, serverEnd := memory.NewBytePipe(64 << 10)
	ctx := context.Background()

	// The server answers one message in upper case.
	served := make(chan error, 1)
	go func() {
		s, err := tls.Wrap(ctx, serverEnd, &ctls.Config{Certificates: []ctls.Certificate{cert}}, tls.AsServer())
		if err != nil {
			served <- err
			return
		}
		defer s.Close()
		buf := make([]byte, 64)
		n, err := s.Receive(ctx, buf)
		if err == nil {
			err = s.Send(ctx, bytes.ToUpper(buf[:n]))
		}
		served <- err
	}()

	c, err := tls.Wrap(ctx, clientEnd, &ctls.Config{RootCAs: roots}, tls.WithHostname("example.test"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Send(ctx, []byte("hello")); err != nil {
		fmt.Println(err)
		return
	}
	reply, err := io.ReadAll(stream.Reader(ctx, c)) // until the server's close_notify
	fmt.Println(string(reply), err, <-served)
	fmt.Println(ctls.VersionName(stream.ExtraOr(c, tls.Version, 0)))
	// Output:
	// HELLO <nil> <nil>
	// TLS 1.3
}

// STARTTLS and back: plaintext, then TLS, then plaintext again on one
// transport.
func ExampleStream_Unwrap() {
	cert, roots := exampleCertificate("example.test")
	a, b := memory.NewBytePipe(64 << 10)
	ctx := context.Background()

	server := make(chan stream.ByteStream, 1)
	go func() {
		s, err := tls.Wrap(ctx, b, &ctls.Config{Certificates: []ctls.Certificate{cert}}, tls.AsServer())
		if err != nil {
			server <- nil
			return
		}
		// Read the client's message, then end TLS and carry on in
		// plaintext.
		buf := make([]byte, 64)
		n, _ := s.Receive(ctx, buf)
		fmt.Printf("server got %q over TLS\n", buf[:n])
		plain, _, err := s.Unwrap(ctx)
		if err != nil {
			server <- nil
			return
		}
		plain.Send(ctx, []byte("back in plaintext"))
		server <- plain
	}()

	c, err := tls.Wrap(ctx, a, &ctls.Config{RootCAs: roots}, tls.WithHostname("example.test"))
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Send(ctx, []byte("secret"))
	plain, rest, err := c.Unwrap(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Bytes that came right after the server's close_notify are in rest;
	// the others are still on the transport.
	msg := append(rest, make([]byte, 17-len(rest))...)
	if _, err := io.ReadFull(stream.Reader(ctx, plain), msg[len(rest):]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("client got %q in plaintext\n", msg)
	plain.Close()
	if s := <-server; s != nil {
		s.Close()
	}
	// Output:
	// server got "secret" over TLS
	// client got "back in plaintext" in plaintext
}

// exampleCertificate makes a throwaway self-signed certificate for host and
// a pool that trusts it.
func exampleCertificate(host string) (ctls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return ctls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
