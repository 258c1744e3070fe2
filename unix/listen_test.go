package unix_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/unix"
)

func TestListenConnectRoundTrip(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	path := sockPath(t)
	l := listen(t, path)
	c, s := pair(t, l, path)
	sockettest.RoundTrip(t, c, s, "ping")
	sockettest.RoundTrip(t, s, c, "pong")

	require.Equal(t, path, l.Addr().String())
	require.Equal(t, path, stream.ExtraOr[net.Addr](l, stream.LocalAddr, nil).String())
	require.Equal(t, path, stream.ExtraOr[net.Addr](c, stream.RemoteAddr, nil).String())
	require.Equal(t, path, stream.ExtraOr[net.Addr](s, stream.LocalAddr, nil).String())
	raw, err := stream.Extra(c, stream.RawSocket)
	require.NoError(t, err)
	require.IsType(t, &net.UnixConn{}, raw)
	_, err = stream.Extra(c, stream.LocalPort)
	require.ErrorIs(t, err, stream.ErrAttributeNotFound, "no ports on Unix sockets")
}

// TestListenReplacesStaleSocket: a socket file nobody listens on is
// replaced.
func TestListenReplacesStaleSocket(t *testing.T) {
	path := sockPath(t)
	stale, err := net.Listen("unix", path)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, stale.Close())
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket, fi.Mode().Type(), "a stale socket file is left")

	l := listen(t, path)
	c, s := pair(t, l, path)
	sockettest.RoundTrip(t, c, s, "fresh")
}

// TestListenRefusesLiveSocket: a socket someone listens on is left alone.
func TestListenRefusesLiveSocket(t *testing.T) {
	path := sockPath(t)
	live := listen(t, path)
	_, err := unix.Listen(context.Background(), path)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Contains(t, err.Error(), "unix: listen "+path)
	require.Contains(t, err.Error(), "another socket is listening")
	// Listen found out by connecting once; the live server sees that
	// connection end without data.
	probe, err := live.Accept(context.Background())
	require.NoError(t, err)
	_, err = probe.Receive(context.Background(), make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	probe.Close()
	c, s := pair(t, live, path)
	sockettest.RoundTrip(t, c, s, "still live")
}

// TestListenRefusesOtherFiles: a file, directory or symlink at the path is
// an error saying what is there, and it is left untouched.
func TestListenRefusesOtherFiles(t *testing.T) {
	for _, tc := range []struct {
		kind string
		make func(path string) error
	}{
		{"a regular file", func(p string) error { return os.WriteFile(p, []byte("keep me"), 0o600) }},
		{"a directory", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"a symbolic link", func(p string) error { return os.Symlink("/nonexistent", p) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			path := sockPath(t)
			require.NoError(t, tc.make(path))
			before, err := os.Lstat(path)
			require.NoError(t, err)
			_, err = unix.Listen(context.Background(), path)
			require.Error(t, err)
			require.Contains(t, err.Error(), "unix: listen "+path)
			require.Contains(t, err.Error(), "not a socket ("+tc.kind+")")
			after, err := os.Lstat(path)
			require.NoError(t, err)
			require.True(t, os.SameFile(before, after), "left untouched")
		})
	}
}

// TestCloseRemovesOwnFileOnly: Close removes the socket file it made, but
// not one that replaced it.
func TestCloseRemovesOwnFileOnly(t *testing.T) {
	path := sockPath(t)
	l, err := unix.Listen(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removed the file")
	require.NoError(t, l.Close(), "idempotent")

	l, err = unix.Listen(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(path, []byte("someone else's"), 0o600))
	require.NoError(t, l.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the new file is left alone")
	require.Equal(t, "someone else's", string(data))
}

func TestListenWithMode(t *testing.T) {
	path := sockPath(t)
	listen(t, path, unix.WithMode(0o600))
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	path = sockPath(t)
	listen(t, path, unix.WithMode(0o660))
	fi, err = os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o660), fi.Mode().Perm())
}

func TestAbstractName(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "android" {
		t.Skip("abstract names are Linux only")
	}
	name := fmt.Sprintf("@anyio-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	l := listen(t, name, unix.WithMode(0o600))
	c, s := pair(t, l, name)
	sockettest.RoundTrip(t, c, s, "abstract")
	require.NoError(t, l.Close())
	_, err := unix.Connect(context.Background(), name)
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "gone once closed")
}

func TestPathTooLong(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	defer goleak.VerifyNone(t)
	long := filepath.Join(os.TempDir(), strings.Repeat("x", 120))
	_, err := unix.Listen(context.Background(), long)
	require.ErrorIs(t, err, syscall.ENAMETOOLONG)
	require.Contains(t, err.Error(), "unix: listen "+long)
	// A socket address holds 107 bytes of path on Linux, 103 elsewhere.
	maxPath := 103
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		maxPath = 107
	}
	require.Contains(t, err.Error(), fmt.Sprintf("longer than the %d a socket address holds", maxPath))
	_, err = unix.Connect(context.Background(), long)
	require.ErrorIs(t, err, syscall.ENAMETOOLONG)
	require.Contains(t, err.Error(), "unix: connect "+long)
	_, err = os.Lstat(long)
	require.ErrorIs(t, err, os.ErrNotExist)

	// The longest path that fits works.
	dir, err := os.MkdirTemp("", "ux")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	fits := dir + "/" + strings.Repeat("y", maxPath-len(dir)-1)
	l, err := unix.Listen(context.Background(), fits)
	require.NoError(t, err)
	require.NoError(t, l.Close())
}

func TestConnectBadInput(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	defer goleak.VerifyNone(t)
	missing := sockPath(t)
	_, err := unix.Connect(context.Background(), missing)
	require.ErrorIs(t, err, syscall.ENOENT)
	require.Contains(t, err.Error(), "unix: connect "+missing)

	stale, err := net.Listen("unix", missing)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	_, err = unix.Connect(context.Background(), missing)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	_, err = unix.Connect(context.Background(), "")
	require.ErrorContains(t, err, "empty path")
	_, err = unix.Listen(context.Background(), "a\x00b")
	require.ErrorContains(t, err, "NUL")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = unix.Connect(ctx, missing)
	require.ErrorIs(t, err, context.Canceled)
}

func TestAcceptCancelAndClose(t *testing.T) {
	path := sockPath(t)
	l := listen(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := l.Accept(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "unix: accept")

	// The cancellation does not disturb the next Accept.
	c, s := pair(t, l, path)
	sockettest.RoundTrip(t, c, s, "after cancel")

	errs := make(chan error, 1)
	go func() {
		_, err := l.Accept(context.Background())
		errs <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Accept block
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-errs, stream.ErrClosed)
	_, err = l.Accept(context.Background())
	require.ErrorIs(t, err, stream.ErrClosed)
}

func TestConnector(t *testing.T) {
	path := sockPath(t)
	l := listen(t, path)
	var conn stream.Connector[stream.ByteStream] = unix.Connector{Path: path}
	c, err := conn.Connect(context.Background())
	require.NoError(t, err)
	defer c.Close()
	s, err := l.Accept(context.Background())
	require.NoError(t, err)
	defer s.Close()
	sockettest.RoundTrip(t, c, s, "via connector")
	c2, err := unix.Connector{}.Connect(context.Background())
	require.Error(t, err)
	require.Nil(t, c2)
}
