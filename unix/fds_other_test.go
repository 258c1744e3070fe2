//go:build !unix

package unix_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFDsUnsupported: without SCM_RIGHTS, SendFDs and ReceiveFDs fail at
// once with errors.ErrUnsupported, and the stream still carries bytes.
func TestFDsUnsupported(t *testing.T) {
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	ctx := context.Background()
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer f.Close()

	err = c.SendFDs(ctx, []byte("x"), f)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	require.ErrorContains(t, err, "unix: send fds")
	_, _, err = s.ReceiveFDs(ctx, make([]byte, 1), 1)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	require.ErrorContains(t, err, "unix: receive fds")

	require.NoError(t, c.Send(ctx, []byte("y")))
	buf := make([]byte, 1)
	n, err := s.Receive(ctx, buf)
	require.NoError(t, err)
	require.Equal(t, "y", string(buf[:n]))
}
