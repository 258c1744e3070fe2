//go:build unix

package tcp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

// emfileChildEnv tells a re-executed test binary to run the EMFILE scenario.
const emfileChildEnv = "ANYIO_TCP_EMFILE_CHILD"

// TestServeBacksOffOnEMFILE runs TestServeEMFILEChild in a child process,
// since it lowers RLIMIT_NOFILE and fills the descriptor table, and checks
// its report: Serve kept running through EMFILE and recovered once
// descriptors were freed.
func TestServeBacksOffOnEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) != "" {
		t.Skip("in the child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestServeEMFILEChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child failed:\n%s", out)
	if strings.Contains(string(out), "--- SKIP: TestServeEMFILEChild") {
		// Where descriptors cannot be counted (no /proc), neither can the
		// child set its limit.
		t.Skipf("the child skipped:\n%s", out)
	}
	require.Contains(t, string(out), "EMFILE: recovered", "child output:\n%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "EMFILE:") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// TestServeEMFILEChild is the child's side; it only runs when re-executed.
func TestServeEMFILEChild(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "" {
		t.Skip("runs only as the child of TestServeBacksOffOnEMFILE")
	}
	ctx := context.Background()
	l, err := tcp.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	logger, lines := newLogger()
	stop := serve(l, echo, stream.WithLogger(logger))
	defer func() { require.NoError(t, stop()) }()

	// Leave room for a few descriptors only, then take all but one.
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	lowered := old
	setRlimit(&lowered.Cur, sockettest.CountFDs(t)+16)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered))
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	var filler []*os.File
	defer func() {
		for _, f := range filler {
			f.Close()
		}
	}()
	for {
		f, err := os.Open(os.DevNull)
		if errors.Is(err, syscall.EMFILE) {
			break
		}
		require.NoError(t, err)
		filler = append(filler, f)
	}
	require.NotEmpty(t, filler)
	filler[len(filler)-1].Close()
	filler = filler[:len(filler)-1]

	// The client takes the last descriptor; the server has none to accept
	// with, and backs off.
	c, err := tcp.Connect(ctx, l.Addrs()[0].String())
	require.NoError(t, err)
	defer c.Close()
	for range 3 {
		line := waitLine(t, lines, "accept failed; retrying")
		require.Contains(t, line, "too many open files")
	}
	fmt.Println("EMFILE: Serve backed off 3 times on EMFILE and kept running")

	for _, f := range filler {
		f.Close()
	}
	filler = nil
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, echoOnce(rctx, c, "after EMFILE"))
	fmt.Println("EMFILE: recovered: the waiting connection was served once descriptors were free")
}

// setRlimit stores n in a field of syscall.Rlimit, which is a uint64 on most
// systems but an int64 on FreeBSD and DragonFly.
func setRlimit[T ~int64 | ~uint64](field *T, n int) { *field = T(n) }
