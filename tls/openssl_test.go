package tls_test

import (
	"bufio"
	"bytes"
	"context"
	ctls "crypto/tls"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/testcert"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tls"
)

// Interoperability with the openssl command-line tool: our client against
// `openssl s_server`, and `openssl s_client` against our Listener.

func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	return path
}

// pkiFiles writes the test certificates as PEM files for openssl.
type pkiFiles struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func (p *pki) files(t *testing.T) pkiFiles {
	dir := t.TempDir()
	f := pkiFiles{ca: p.ca.WriteAuthority(t, dir)}
	f.serverCert, f.serverKey = testcert.WriteFiles(t, dir, "server", p.server)
	f.clientCert, f.clientKey = testcert.WriteFiles(t, dir, "client", p.client)
	return f
}

// startSServer runs `openssl s_server -rev` (it answers each line reversed)
// for one connection on a free loopback port and returns its address once
// it accepts. The process is killed when the test ends.
func startSServer(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	args = append([]string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-rev"}, args...)
	cmd := exec.Command(openssl, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	drained := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
	})

	addr := make(chan string, 1)
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
				addr <- a
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addr:
		return a
	case <-drained:
		t.Fatalf("openssl s_server ended before accepting: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("openssl s_server did not start: %s", stderr.String())
	}
	return ""
}

// runSClient runs `openssl s_client` against addr, feeding it input, and
// returns what it printed once the server closed the connection.
func runSClient(t *testing.T, openssl, addr, input string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args = append([]string{"s_client", "-connect", addr, "-quiet", "-verify_return_error"}, args...)
	cmd := exec.CommandContext(ctx, openssl, args...)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "openssl s_client: %s", stderr.String())
	return stdout.String()
}

var opensslVersions = []struct {
	name    string
	flag    string
	version uint16
}{
	{"TLS1.2", "-tls1_2", ctls.VersionTLS12},
	{"TLS1.3", "-tls1_3", ctls.VersionTLS13},
}

func TestInteropClientAgainstOpenSSLServer(t *testing.T) {
	openssl := requireOpenSSL(t)
	p := newPKI(t)
	files := p.files(t)
	for _, v := range opensslVersions {
		t.Run(v.name, func(t *testing.T) {
			addr := startSServer(t, openssl, v.flag, "-cert", files.serverCert, "-key", files.serverKey,
				"-alpn", "x-rev")
			ctx := testContext(t)
			cc := p.clientConfig()
			cc.NextProtos = []string{"h2", "x-rev"}
			c, err := tls.Connect(ctx, addr, cc)
			require.NoError(t, err)
			defer c.Close()
			assert.Equal(t, v.version, stream.ExtraOr(c, tls.Version, 0))
			assert.Equal(t, "x-rev", stream.ExtraOr(c, tls.ALPNProtocol, ""))

			require.NoError(t, c.Send(ctx, []byte("hello\n")))
			require.Equal(t, "olleh\n", string(receiveN(ctx, t, c, 6)))
			// "CLOSE" makes s_server shut the connection down with
			// close_notify: a clean end even for a strict stream.
			require.NoError(t, c.Send(ctx, []byte("CLOSE\n")))
			_, err = receiveAll(ctx, c)
			require.Equal(t, io.EOF, err)
		})
	}
}

func TestInteropClientCertificateWithOpenSSLServer(t *testing.T) {
	openssl := requireOpenSSL(t)
	p := newPKI(t)
	files := p.files(t)
	for _, v := range opensslVersions {
		t.Run(v.name, func(t *testing.T) {
			addr := startSServer(t, openssl, v.flag, "-cert", files.serverCert, "-key", files.serverKey,
				"-Verify", "1", "-CAfile", files.ca, "-verify_return_error")
			ctx := testContext(t)
			cc := p.clientConfig()
			cc.Certificates = []ctls.Certificate{p.client}
			c, err := tls.Connect(ctx, addr, cc)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Send(ctx, []byte("mutual\n")))
			require.Equal(t, "lautum\n", string(receiveN(ctx, t, c, 7)))
		})
	}
}

func TestInteropClientRejectsUntrustedOpenSSLServer(t *testing.T) {
	openssl := requireOpenSSL(t)
	p := newPKI(t)
	dir := t.TempDir()
	cert, key := testcert.WriteFiles(t, dir, "self", testcert.SelfSigned(t, testHost))
	addr := startSServer(t, openssl, "-cert", cert, "-key", key)
	_, err := tls.Connect(testContext(t), addr, p.clientConfig())
	require.ErrorContains(t, err, "certificate signed by unknown authority")
}

// echoLine accepts one connection, echoes one line and closes it, reporting
// the accepted stream's attributes.
func echoLine(ctx context.Context, l *tls.Listener) <-chan acceptedInfo {
	ch := make(chan acceptedInfo, 1)
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			ch <- acceptedInfo{err: err}
			return
		}
		defer s.Close()
		info := acceptedInfo{
			alpn:    stream.ExtraOr(s, tls.ALPNProtocol, ""),
			version: stream.ExtraOr(s, tls.Version, 0),
		}
		if peers := stream.ExtraOr(s, tls.PeerCertificates, nil); len(peers) > 0 {
			info.peer = peers[0].Subject.CommonName
		}
		var line []byte
		buf := make([]byte, 256)
		for !bytes.HasSuffix(line, []byte("\n")) {
			n, err := s.Receive(ctx, buf)
			if err != nil {
				info.err = err
				ch <- info
				return
			}
			line = append(line, buf[:n]...)
		}
		info.err = s.Send(ctx, line)
		ch <- info
	}()
	return ch
}

type acceptedInfo struct {
	alpn    string
	version uint16
	peer    string // the common name of the client's certificate
	err     error
}

func TestInteropOpenSSLClientAgainstListener(t *testing.T) {
	openssl := requireOpenSSL(t)
	p := newPKI(t)
	files := p.files(t)
	for _, v := range opensslVersions {
		t.Run(v.name, func(t *testing.T) {
			sc := p.serverConfig()
			sc.NextProtos = []string{"x-echo"}
			l, addr := tcpListener(t, sc)
			got := echoLine(testContext(t), l)
			out := runSClient(t, openssl, addr, "hello over tls\n", v.flag,
				"-CAfile", files.ca, "-servername", testHost, "-alpn", "x-echo")
			assert.Equal(t, "hello over tls\n", out)
			info := <-got
			require.NoError(t, info.err)
			assert.Equal(t, "x-echo", info.alpn)
			assert.Equal(t, v.version, info.version)
		})
	}
}

func TestInteropOpenSSLClientCertificate(t *testing.T) {
	openssl := requireOpenSSL(t)
	p := newPKI(t)
	files := p.files(t)
	for _, v := range opensslVersions {
		t.Run(v.name, func(t *testing.T) {
			l, addr := tcpListener(t, p.mtlsServerConfig())
			got := echoLine(testContext(t), l)
			out := runSClient(t, openssl, addr, "with certificate\n", v.flag,
				"-CAfile", files.ca, "-servername", testHost,
				"-cert", files.clientCert, "-key", files.clientKey)
			assert.Equal(t, "with certificate\n", out)
			info := <-got
			require.NoError(t, info.err)
			assert.Equal(t, "client", info.peer)
		})
	}
}
