package unix_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/unix"
)

// sockPath returns a fresh socket path in a short temporary directory
// (t.TempDir's names can outgrow a socket address).
func sockPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ux")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// listen starts a listener at path, closed when the test ends.
func listen(t testing.TB, path string, opts ...unix.Option) *unix.Listener {
	t.Helper()
	l, err := unix.Listen(context.Background(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// pair connects to l at path and accepts the other end.
func pair(t testing.TB, l *unix.Listener, path string) (client, server *unix.Stream) {
	t.Helper()
	ctx := context.Background()
	client, err := unix.Connect(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, err = l.Accept(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { server.Close() })
	return client, server
}
