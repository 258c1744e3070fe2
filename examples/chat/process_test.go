package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireSocat skips the test when the socat client is not installed.
func requireSocat(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("socat")
	if err != nil {
		t.Skip("socat is not installed")
	}
	return path
}

// TestChatWithSocat chats with socat as the client, the way a person
// would: socat joins, sees a line from another client, sends one, and
// leaves by ending its input.
func TestChatWithSocat(t *testing.T) {
	socat := requireSocat(t)
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

// childEnv carries the server's arguments to a re-executed test binary.
const childEnv = "ANYIO_CHAT_CHILD_ARGS"

// TestChatChild is the server process of TestChatStopsOnSIGTERM.
func TestChatChild(t *testing.T) {
	args, ok := os.LookupEnv(childEnv)
	if !ok {
		t.Skip("runs only as the child of TestChatStopsOnSIGTERM")
	}
	if err := runUntilSignalled(strings.Fields(args), os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// TestChatStopsOnSIGTERM runs the server in a child process with two
// clients chatting, then sends SIGTERM: the server ends both connections
// and exits 0.
func TestChatStopsOnSIGTERM(t *testing.T) {
	if _, ok := os.LookupEnv(childEnv); ok {
		t.Skip("in the child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChatChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=-addr 127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())

	lines := make(chan string, 1024)
	var output bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			output.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
	}()
	addr := waitListening(t, lines)

	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")
	bob.send("hello")
	alice.expect("<bob> hello")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	for _, c := range []*client{alice, bob} {
		_, err := c.readToEnd()
		requireEnded(t, err)
	}
	for range lines { // drain until the child closes its output
	}
	<-readDone
	require.NoError(t, cmd.Wait(), "child output:\n%s", output.String())
	require.Contains(t, output.String(), "msg=stopped")
	require.Contains(t, output.String(), "PASS")
}
