package main

import (
	"bufio"
	"context"
	"io"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/exampletest"
	"github.com/anyio-go/anyio/udp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer runs the server on a free port and returns its address and a
// function that stops it and returns run's error.
func startServer(t *testing.T) (netip.AddrPort, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-batch", "4"}, pw)
		pw.Close()
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	require.True(t, lines.Scan(), "the server prints its address")
	addr, ok := strings.CutPrefix(lines.Text(), "udpecho: listening on ")
	require.True(t, ok, lines.Text())
	rest := make(chan []string, 1)
	go func() {
		var ls []string
		for lines.Scan() {
			ls = append(ls, lines.Text())
		}
		rest <- ls
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			assert.Contains(t, <-rest, "udpecho: stopped")
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not stop")
			return nil
		}
	}
	return netip.MustParseAddrPort(addr), stop
}

func TestEchoRoundTrip(t *testing.T) {
	addr, stop := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := udp.Connect(ctx, addr.String())
	require.NoError(t, err)
	defer c.Close()
	for _, msg := range []string{"hello", "", strings.Repeat("x", 60000)} {
		require.NoError(t, c.Send(ctx, []byte(msg)))
		got, err := c.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, msg, string(got))
	}
	require.NoError(t, stop(), "a signal-style stop is a clean exit")
}

// TestEchoWithSocat uses socat as an independent client.
func TestEchoWithSocat(t *testing.T) {
	socat := exampletest.RequireSocat(t)
	addr, stop := startServer(t)
	defer func() { require.NoError(t, stop()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, socat, "-", "UDP:"+addr.String())
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	replies := bufio.NewReader(stdout)
	for _, line := range []string{"hello from socat\n", "second line\n"} {
		_, err = io.WriteString(stdin, line)
		require.NoError(t, err)
		got, err := replies.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, line, got)
	}
	require.NoError(t, stdin.Close()) // socat exits shortly after its input ends
	require.NoError(t, cmd.Wait())
}

func TestRunRejectsBadArguments(t *testing.T) {
	ctx := context.Background()
	require.Error(t, run(ctx, []string{"-bogus"}, io.Discard))
	require.Error(t, run(ctx, []string{"-batch", "0"}, io.Discard))
	require.Error(t, run(ctx, []string{"-addr", "not an address"}, io.Discard))
}
