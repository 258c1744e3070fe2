package relabel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/relabel"
	"github.com/anyio-go/anyio/stream"
)

func TestNilAndEOFPassThrough(t *testing.T) {
	require.NoError(t, relabel.As("tcp", nil))
	require.Equal(t, io.EOF, relabel.As("tcp", io.EOF), "io.EOF stays unwrapped")
	allocs := testing.AllocsPerRun(100, func() {
		_ = relabel.As("tcp", nil)
		_ = relabel.As("tcp", io.EOF)
	})
	require.Zero(t, allocs)
}

func TestPrefixReplaced(t *testing.T) {
	err := relabel.As("unix", fmt.Errorf("stream: send: %w", stream.ErrClosed))
	require.Equal(t, "unix: send: stream: use of closed stream", err.Error())
	require.ErrorIs(t, err, stream.ErrClosed)
}

// TestWrapsEverything: errors.Is and errors.As see through the label to
// every error the original wraps.
func TestWrapsEverything(t *testing.T) {
	cause := &fs.PathError{Op: "read", Path: "x", Err: syscall.ECONNRESET}
	orig := fmt.Errorf("stream: receive: %w", stream.Broken(cause))
	err := relabel.As("tcp", orig)
	require.ErrorIs(t, err, orig)
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	require.Same(t, cause, pe)
	require.Regexp(t, `^tcp: receive: `, err.Error())
}

// TestForeignMessageKeptWhole: an error that does not start with "stream: "
// is prefixed, not cut.
func TestForeignMessageKeptWhole(t *testing.T) {
	err := relabel.As("tcp", errors.New("streamed: odd"))
	require.Equal(t, "tcp: streamed: odd", err.Error())
}

func ExampleAs() {
	err := relabel.As("tcp", fmt.Errorf("stream: send: %w", stream.ErrClosed))
	fmt.Println(err)
	fmt.Println(errors.Is(err, stream.ErrClosed))
	fmt.Println(relabel.As("tcp", io.EOF) == io.EOF)
	// Output:
	// tcp: send: stream: use of closed stream
	// true
	// true
}

func TestSendCause(t *testing.T) {
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		cause := relabel.SendCause(fmt.Errorf("tcp: send: %w", ctxErr))
		require.NotErrorIs(t, cause, ctxErr, "a later Send must not read as cancelled itself")
		require.ErrorContains(t, cause, "an earlier send was interrupted: tcp: send: "+ctxErr.Error())
	}
	reset := fmt.Errorf("tcp: send: %w", syscall.ECONNRESET)
	require.Same(t, reset, relabel.SendCause(reset), "other errors are kept as they are")
}
