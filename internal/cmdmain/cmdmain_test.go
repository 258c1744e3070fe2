package cmdmain

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUntilSignalledPassesArgsAndLog(t *testing.T) {
	var out bytes.Buffer
	err := UntilSignalled([]string{"a", "b"}, &out, func(ctx context.Context, args []string, logOut io.Writer) error {
		require.NoError(t, ctx.Err(), "no signal yet")
		_, err := io.WriteString(logOut, strings.Join(args, ","))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, "a,b", out.String())
}

func TestUntilSignalledReturnsRunsError(t *testing.T) {
	failed := errors.New("failed")
	err := UntilSignalled(nil, io.Discard, func(context.Context, []string, io.Writer) error { return failed })
	require.ErrorIs(t, err, failed)
}

// childEnv makes the re-executed test binary call Run.
const childEnv = "ANYIO_CMDMAIN_CHILD"

// TestRunChild is the process of TestRunExitsOnError.
func TestRunChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as the child of TestRunExitsOnError")
	}
	Run("prog", os.Stdout, func(context.Context, []string, io.Writer) error { return errors.New("bad flag") })
	t.Fatal("Run returned after an error")
}

func TestRunExitsOnError(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 1, exit.ExitCode())
	require.Equal(t, "prog: bad flag\n", stderr.String())
}
