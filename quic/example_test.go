package quic_test

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
	"net"
	"time"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// A server that answers every stream in upper case, and a client that
// opens one stream on its connection.
func ExampleListen() {
	cert, roots := exampleCertificate()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	l, err := quic.Listen(ctx, "127.0.0.1:0", &ctls.Config{
		Certificates: []ctls.Certificate{cert},
		NextProtos:   []string{"upper"},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() {
		served <- stream.Serve(ctx, l, func(ctx context.Context, c *quic.Conn) {
			_ = c.ServeStreams(ctx, func(ctx context.Context, s *quic.Stream) {
				request, _ := io.ReadAll(stream.Reader(ctx, s)) // until the client's CloseWrite
				_ = s.Send(ctx, bytes.ToUpper(request))
			})
		})
	}()

	c, err := quic.Connect(ctx, l.Addr().String(), &ctls.Config{
		RootCAs:    roots,
		NextProtos: []string{"upper"},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := c.OpenStream(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Send(ctx, []byte("hello over quic")); err != nil {
		fmt.Println(err)
		return
	}
	_ = s.CloseWrite()
	reply, err := io.ReadAll(stream.Reader(ctx, s))
	fmt.Println(string(reply), err)
	fmt.Println(stream.ExtraOr(s, quic.StreamID, -1))
	c.Close()

	cancel()
	fmt.Println(<-served)
	// Output:
	// HELLO OVER QUIC <nil>
	// 0
	// <nil>
}

// Datagrams need EnableDatagrams on both ends.
func ExampleConn_Datagrams() {
	cert, roots := exampleCertificate()
	ctx := context.Background()
	cfg := &quic.Config{EnableDatagrams: true}
	l, err := quic.Listen(ctx, "127.0.0.1:0", &ctls.Config{Certificates: []ctls.Certificate{cert}, NextProtos: []string{"dg"}}, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	accepted := make(chan *quic.Conn, 1)
	go func() {
		c, _ := l.Accept(ctx)
		accepted <- c
	}()
	client, err := quic.Connect(ctx, l.Addr().String(), &ctls.Config{RootCAs: roots, NextProtos: []string{"dg"}}, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()

	out, _ := client.Datagrams()
	in, _ := server.Datagrams()
	if err := out.Send(ctx, []byte("unreliable, but here")); err != nil {
		fmt.Println(err)
		return
	}
	msg, err := in.Receive(ctx)
	fmt.Println(string(msg), err)
	// Output: unreliable, but here <nil>
}

// exampleCertificate makes a self-signed certificate for 127.0.0.1 and a
// pool that trusts it.
func exampleCertificate() (ctls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
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
