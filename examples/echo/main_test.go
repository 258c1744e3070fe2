package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/exampletest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer runs the server in this process with args; stop cancels it
// and returns run's error.
func startServer(t *testing.T, args ...string) (addr string, log *exampletest.Log, stop func() error) {
	t.Helper()
	s := exampletest.Start(t, run, args...)
	return s.Addr, s.Log, s.Stop
}

// socatRoundTrip sends data through socat to target (a socat address) and
// returns what came back. socat half-closes after its input and exits once
// the server has half-closed too.
func socatRoundTrip(t *testing.T, socat, target string, data []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, socat, "-t", "10", "-", target)
	cmd.Stdin = bytes.NewReader(data)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "socat: %s", errOut.String())
	return out.Bytes()
}

func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return data
}

func TestEchoTCPWithSocat(t *testing.T) {
	socat := exampletest.RequireSocat(t)
	addr, log, stop := startServer(t, "-addr", "127.0.0.1:0")
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			data := randomData(256<<10+i, uint64(i))
			got := socatRoundTrip(t, socat, "TCP:"+addr, data)
			if !bytes.Equal(data, got) {
				t.Errorf("client %d: echoed %d bytes, sent %d, or they differ", i, len(got), len(data))
			}
		})
	}
	wg.Wait()
	require.NoError(t, stop())
	require.Contains(t, log.String(), "msg=stopped")
	require.Contains(t, log.String(), "bytes=262144")
}

func TestEchoUnixWithSocat(t *testing.T) {
	socat := exampletest.RequireSocat(t)
	dir, err := os.MkdirTemp("", "echo")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")
	addr, _, stop := startServer(t, "-unix", path)
	require.Equal(t, path, addr)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	data := randomData(100<<10, 7)
	require.Equal(t, data, socatRoundTrip(t, socat, "UNIX-CONNECT:"+path, data))
	require.NoError(t, stop())
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "the socket file is removed on shutdown")
}

// TestEchoGracefulShutdown: cancelling run's ctx ends live connections
// and run returns nil.
func TestEchoGracefulShutdown(t *testing.T) {
	addr, log, stop := startServer(t, "-addr", "127.0.0.1:0")
	ctx := context.Background()
	var clients []*tcp.Stream
	for range 5 {
		c, err := tcp.Connect(ctx, addr)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Send(ctx, []byte("hi")))
		buf := make([]byte, 2)
		_, err = io.ReadFull(stream.Reader(ctx, c), buf)
		require.NoError(t, err)
		require.Equal(t, "hi", string(buf))
		clients = append(clients, c)
	}
	require.NoError(t, stop())
	for _, c := range clients {
		_, err := c.Receive(ctx, make([]byte, 1))
		require.ErrorIs(t, err, io.EOF)
	}
	require.Contains(t, log.String(), "msg=stopped")
}

func TestRunRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	require.Error(t, run(ctx, []string{"-bogus"}, &out))
	require.ErrorContains(t, run(ctx, []string{"extra"}, &out), "unexpected arguments")
	require.ErrorContains(t, run(ctx, []string{"-addr", "nosuch.invalid:0"}, &out), "no such host")
	require.ErrorContains(t, run(ctx, []string{"-unix", "/" + strings.Repeat("x", 200)}, &out), "longer than")

	taken, err := tcp.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	require.ErrorContains(t, run(ctx, []string{"-addr", taken.Addrs()[0].String()}, &out), "address already in use")
}

// TestEchoChild is the server process of TestEchoStopsOnSIGTERM.
func TestEchoChild(t *testing.T) { exampletest.ServeAsChild(t, run) }

// TestEchoStopsOnSIGTERM runs the server in a child process, echoes through
// socat, then sends SIGTERM: the server shuts down gracefully and exits 0.
func TestEchoStopsOnSIGTERM(t *testing.T) {
	socat := exampletest.RequireSocat(t)
	child := exampletest.StartChild(t, "TestEchoChild", "-addr", "127.0.0.1:0")
	data := randomData(64<<10, 42)
	require.Equal(t, data, socatRoundTrip(t, socat, "TCP:"+child.Addr, data))
	child.Terminate(t)
}
