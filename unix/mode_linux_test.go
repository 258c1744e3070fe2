package unix_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/unix"
)

// TestWithModeHoldsFromBind checks, with a umask that removes nothing, that
// the socket file grants no more than WithMode from the moment bind creates
// it, and that bits a umask removes are given back. The test changes the
// process's umask, so it must not run in parallel with others.
func TestWithModeHoldsFromBind(t *testing.T) {
	binders := map[string]func(t *testing.T, path string, opts ...unix.Option) io.Closer{
		"Listen": func(t *testing.T, path string, opts ...unix.Option) io.Closer {
			l, err := unix.Listen(context.Background(), path, opts...)
			require.NoError(t, err)
			return l
		},
		"ListenDatagram": func(t *testing.T, path string, opts ...unix.Option) io.Closer {
			s, err := unix.ListenDatagram(context.Background(), path, opts...)
			require.NoError(t, err)
			return s
		},
		"ConnectDatagram": func(t *testing.T, path string, opts ...unix.Option) io.Closer {
			peer := filepath.Join(filepath.Dir(path), "peer")
			p, err := unix.ListenDatagram(context.Background(), peer)
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			c, err := unix.ConnectDatagram(context.Background(), peer, append(opts, unix.WithLocalPath(path))...)
			require.NoError(t, err)
			return c
		},
	}
	for name, bind := range binders {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				umask, mode, atBind int
			}{
				{umask: 0, mode: 0o600, atBind: 0o600},
				{umask: 0, mode: 0o640, atBind: 0o640},
				{umask: 0o077, mode: 0o666, atBind: 0o600},
			} {
				path := sockPath(t)
				var atBind os.FileMode
				restore := unix.SetBindHook(func(p string) {
					if p != path {
						return
					}
					if fi, err := os.Lstat(p); err == nil {
						atBind = fi.Mode().Perm()
					}
				})
				old := syscall.Umask(tc.umask)
				c := bind(t, path, unix.WithMode(os.FileMode(tc.mode)))
				syscall.Umask(old)
				restore()
				fi, err := os.Lstat(path)
				require.NoError(t, err)
				require.NoError(t, c.Close())
				assert.Equal(t, os.FileMode(tc.atBind), atBind, "mode at bind, umask %#o, WithMode(%#o)", tc.umask, tc.mode)
				assert.Equal(t, os.FileMode(tc.mode), fi.Mode().Perm(), "mode once bound, umask %#o, WithMode(%#o)", tc.umask, tc.mode)
			}
		})
	}
}

// TestSocketFileReplacedAfterBind: a file put in place of the socket file
// between bind and the mode being applied is neither chmodded nor removed,
// and the call fails saying so.
func TestSocketFileReplacedAfterBind(t *testing.T) {
	path := sockPath(t)
	restore := unix.SetBindHook(func(p string) {
		if p == path {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.WriteFile(p, []byte("theirs"), 0o644))
		}
	})
	defer restore()
	_, err := unix.Listen(context.Background(), path, unix.WithMode(0o600))
	require.ErrorContains(t, err, "replaced by a regular file")
	fi, err := os.Lstat(path)
	require.NoError(t, err, "the file that replaced the socket is left alone")
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}
