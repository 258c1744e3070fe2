package exampletest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/cmdmain"
)

// childEnv carries the server's arguments to the re-executed test binary.
const childEnv = "ANYIO_EXAMPLE_CHILD_ARGS"

// ServeAsChild is the body of the test that StartChild re-executes the test
// binary to run: in that child it serves with run until SIGINT or SIGTERM,
// as the program's main does, and fails the test if run fails. Anywhere else
// it skips the test.
func ServeAsChild(t *testing.T, run RunFunc) {
	args, ok := os.LookupEnv(childEnv)
	if !ok {
		t.Skip("runs only in a child process started by another test")
	}
	if err := cmdmain.UntilSignalled(strings.Fields(args), os.Stdout, run); err != nil {
		t.Fatal(err)
	}
}

// Child is an example server running in a child process.
type Child struct {
	// Addr is the address the server logged it listens on.
	Addr string
	// Log is the child's standard output: the server's log, then the
	// test framework's verdict.
	Log *Log

	cmd    *exec.Cmd
	copied chan struct{} // closed once the child's output is all in Log
}

// StartChild re-executes the test binary to run only childTest, which must
// call ServeAsChild, with the server arguments args, and returns once the
// server logs that it listens. In the child, StartChild skips the test that
// calls it. The child is killed when the test ends if it is still running.
func StartChild(t *testing.T, childTest string, args ...string) *Child {
	t.Helper()
	if _, ok := os.LookupEnv(childEnv); ok {
		t.Skip("in the child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+childTest+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, " "))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &Child{Log: NewLog(), cmd: cmd, copied: make(chan struct{})}
	go func() {
		defer close(c.copied)
		_, _ = io.Copy(c.Log, stdout)
		_ = c.Log.Close()
	}()
	t.Cleanup(func() {
		cancel() // kills the child if Terminate was not reached
		<-c.copied
		_ = cmd.Wait()
	})
	c.Addr = c.Log.Await(t, ListeningRE)
	return c
}

// Terminate sends SIGTERM to the child and requires it to shut down
// gracefully: to log that it stopped and to exit with status 0.
func (c *Child) Terminate(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	// Wait closes the pipe, so the output is read to its end first.
	<-c.copied
	require.NoError(t, c.cmd.Wait(), "child output:\n%s", c.Log)
	require.Contains(t, c.Log.String(), "msg=stopped")
	require.Contains(t, c.Log.String(), "PASS")
}
