package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/exampletest"
)

// TestChatWithSocat chats with socat as the client, the way a person
// would: socat joins, sees a line from another client, sends one, and
// leaves by ending its input.
func TestChatWithSocat(t *testing.T) {
	socat := exampletest.RequireSocat(t)
	addr, _, _ := startServer(t)
	bob := join(t, addr, "bob")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// -t 10: after its input ends, socat waits for the server to end too.
	cmd := exec.CommandContext(ctx, socat, "-t", "10", "-", "TCP:"+addr)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()

	_, err = io.WriteString(stdin, "carol\n")
	require.NoError(t, err)
	bob.expect("* carol joined")
	bob.send("hi carol")
	bob.send("/who") // its answer means the line above reached the hub
	bob.expect("* online: bob, carol")
	_, err = io.WriteString(stdin, "hello from socat\n")
	require.NoError(t, err)
	bob.expect("<carol> hello from socat")

	require.NoError(t, stdin.Close())
	bob.expect("* carol left")
	require.NoError(t, cmd.Wait(), "socat: %s", errOut.String())
	require.Equal(t, strings.Join([]string{
		promptNick,
		"* welcome carol; online: bob, carol",
		"<bob> hi carol",
	}, "\n")+"\n", out.String())
}

// TestChatChild is the server process of TestChatStopsOnSIGTERM.
func TestChatChild(t *testing.T) { exampletest.ServeAsChild(t, run) }

// TestChatStopsOnSIGTERM runs the server in a child process with two
// clients chatting, then sends SIGTERM: the server ends both connections
// and exits 0.
func TestChatStopsOnSIGTERM(t *testing.T) {
	child := exampletest.StartChild(t, "TestChatChild", "-addr", "127.0.0.1:0")
	addr := child.Addr

	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")
	bob.send("hello")
	alice.expect("<bob> hello")

	child.Terminate(t)
	for _, c := range []*client{alice, bob} {
		_, err := c.readToEnd()
		requireEnded(t, err)
	}
}
