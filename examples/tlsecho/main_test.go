package main

import (
	"bufio"
	"bytes"
	"context"
	ctls "crypto/tls"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/exampletest"
	"github.com/anyio-go/anyio/internal/testcert"
	"github.com/anyio-go/anyio/tcp"
	"github.com/anyio-go/anyio/tls"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer runs the server with args on a free port and returns its
// address and log; it is stopped, and must have stopped cleanly, when the
// test ends.
func startServer(t *testing.T, args ...string) (string, *exampletest.Log) {
	t.Helper()
	s := exampletest.Start(t, run, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return s.Addr, s.Log
}

func TestEchoThroughOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	addr, log := startServer(t)
	require.Contains(t, log.String(), "sha256=")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The certificate is self-signed: s_client reports it and goes on.
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-quiet")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	_, err = io.WriteString(stdin, "hello through openssl\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "hello through openssl\n", line)
}

func TestEchoWithGivenCertificate(t *testing.T) {
	ca := testcert.NewAuthority(t)
	certFile, keyFile := testcert.WriteFiles(t, t.TempDir(), "server", ca.Server(t, "127.0.0.1"))
	addr, log := startServer(t, "-cert", certFile, "-key", keyFile)
	require.Contains(t, log.String(), "CN=127.0.0.1")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := tls.Connect(ctx, addr, &ctls.Config{RootCAs: ca.Pool()})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send(ctx, []byte("ping")))
	require.NoError(t, c.CloseWrite())
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := c.Receive(ctx, buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	require.Equal(t, "ping", string(got))
	log.Await(t, regexp.MustCompile(`msg=done peer=\S+ (bytes=4)`))
}

func TestBadHandshakeIsLogged(t *testing.T) {
	addr, log := startServer(t, "-handshake-timeout", "50ms")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A client that never speaks times out without stopping the server.
	silent, err := tcp.Connect(ctx, addr)
	require.NoError(t, err)
	defer silent.Close()
	log.Await(t, regexp.MustCompile(`msg="handshake failed".*(deadline exceeded)`))
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), []string{"-bogus"}, &out))
	require.Error(t, run(context.Background(), []string{"-cert", "only.crt"}, &out))
	require.Error(t, run(context.Background(), []string{"extra"}, &out))
	err := run(context.Background(), []string{"-cert", "/nonexistent.crt", "-key", "/nonexistent.key"}, &out)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "nonexistent"))
}
