//go:build unix

package unix_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/unix"
)

const dgramTimeout = 5 * time.Second

func dgramContext(t *testing.T) context.Context { return sockettest.Context(t, dgramTimeout) }

// dgramDir returns a short temporary directory: socket paths must fit in
// about a hundred bytes.
func dgramDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func listenDatagram(t *testing.T, path string, opts ...unix.Option) *unix.DatagramSocket {
	t.Helper()
	s, err := unix.ListenDatagram(context.Background(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func connectDatagram(t *testing.T, path string, opts ...unix.Option) *unix.ConnectedDatagramSocket {
	t.Helper()
	c, err := unix.ConnectDatagram(context.Background(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// abstractName returns a Linux abstract name unique to this test run.
func abstractName(t *testing.T, what string) string {
	if runtime.GOOS != "linux" {
		t.Skip("abstract names are Linux only")
	}
	return fmt.Sprintf("@anyio-dgram-%d-%s-%d", os.Getpid(), what, time.Now().UnixNano())
}

func TestDatagramRoundTrip(t *testing.T) {
	ctx := dgramContext(t)
	dir := dgramDir(t)
	server := listenDatagram(t, filepath.Join(dir, "server"))
	clientPath := filepath.Join(dir, "client")
	client := connectDatagram(t, server.LocalPath(), unix.WithLocalPath(clientPath))
	assert.Equal(t, server.LocalPath(), client.RemotePath())

	require.NoError(t, client.Send(ctx, []byte("ping")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, unix.Packet{Data: []byte("ping"), Path: clientPath}, p)

	require.NoError(t, server.Send(ctx, unix.Packet{Data: []byte("pong"), Path: p.Path}))
	got, err := client.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "pong", string(got))
}

func TestDatagramUnboundSender(t *testing.T) {
	ctx := dgramContext(t)
	server := listenDatagram(t, filepath.Join(dgramDir(t), "server"))
	client := connectDatagram(t, server.LocalPath())
	require.NoError(t, client.Send(ctx, []byte("anonymous")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "anonymous", string(p.Data))
	assert.Equal(t, "", p.Path, "an unbound sender has no path")
	require.Error(t, server.SendTo(ctx, []byte("x"), p.Path), "nobody to answer")
}

func TestDatagramUnconnectedToUnconnected(t *testing.T) {
	ctx := dgramContext(t)
	dir := dgramDir(t)
	a := listenDatagram(t, filepath.Join(dir, "a"))
	b := listenDatagram(t, filepath.Join(dir, "b"))
	for i := range 10 {
		require.NoError(t, a.SendTo(ctx, []byte(strconv.Itoa(i)), b.LocalPath()))
	}
	buf := make([]byte, 16)
	for i := range 10 {
		n, from, err := b.ReceiveInto(ctx, buf)
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(i), string(buf[:n]), "unix datagrams keep their order")
		assert.Equal(t, a.LocalPath(), from)
	}
}

func TestDatagramAbstractNames(t *testing.T) {
	ctx := dgramContext(t)
	serverName := abstractName(t, "server")
	clientName := abstractName(t, "client")
	server := listenDatagram(t, serverName)
	assert.Equal(t, serverName, server.LocalPath())
	client := connectDatagram(t, serverName, unix.WithLocalPath(clientName))
	require.NoError(t, client.Send(ctx, []byte("hi")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, clientName, p.Path)
	require.NoError(t, server.SendTo(ctx, []byte("hello"), p.Path))
	got, err := client.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))

	_, err = unix.ListenDatagram(ctx, serverName)
	require.Error(t, err, "an abstract name in use is not taken over")
}

func TestDatagramSocketFile(t *testing.T) {
	dir := dgramDir(t)
	path := filepath.Join(dir, "sock")

	// A stale socket file (nobody bound) is replaced.
	stale, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	require.NoError(t, stale.Close()) // leaves the file behind
	s, err := unix.ListenDatagram(context.Background(), path, unix.WithMode(0o600))
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, info.Mode().Type())
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// A live socket is not.
	_, err = unix.ListenDatagram(context.Background(), path)
	require.Error(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the file")

	// Nor is anything else.
	require.NoError(t, os.WriteFile(path, []byte("data"), 0o644))
	_, err = unix.ListenDatagram(context.Background(), path)
	require.ErrorContains(t, err, "not a socket")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "data", string(data), "the file is left alone")
}

func TestDatagramLocalPathFile(t *testing.T) {
	dir := dgramDir(t)
	server := listenDatagram(t, filepath.Join(dir, "server"))
	local := filepath.Join(dir, "client")
	c, err := unix.ConnectDatagram(context.Background(), server.LocalPath(),
		unix.WithLocalPath(local), unix.WithMode(0o640))
	require.NoError(t, err)
	info, err := os.Stat(local)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), info.Mode().Perm())
	require.NoError(t, c.Close())
	_, err = os.Lstat(local)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the local file")

	// A failed connect leaves no file behind.
	_, err = unix.ConnectDatagram(context.Background(), filepath.Join(dir, "nobody"), unix.WithLocalPath(local))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Lstat(local)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestDatagramOptions(t *testing.T) {
	dir := dgramDir(t)
	_, err := unix.ListenDatagram(context.Background(), filepath.Join(dir, "x"), unix.WithLocalPath(filepath.Join(dir, "y")))
	require.ErrorContains(t, err, "WithLocalPath")
	_, err = unix.ListenDatagram(context.Background(), "")
	require.Error(t, err)
	_, err = unix.ConnectDatagram(context.Background(), filepath.Join(dir, "none"))
	require.Error(t, err)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = unix.ListenDatagram(cancelled, filepath.Join(dir, "x"))
	require.ErrorIs(t, err, context.Canceled)
	_, err = unix.ConnectDatagram(cancelled, filepath.Join(dir, "x"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestDatagramEmptyAndLarge(t *testing.T) {
	ctx := dgramContext(t)
	server := listenDatagram(t, filepath.Join(dgramDir(t), "s"))
	client := connectDatagram(t, server.LocalPath())
	require.NoError(t, client.Send(ctx, nil))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Empty(t, p.Data)

	big := bytes.Repeat([]byte("0123456789abcdef"), 100<<10/16)
	require.NoError(t, client.Send(ctx, big))
	p, err = server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, big, p.Data)
}

func TestDatagramTruncated(t *testing.T) {
	ctx := dgramContext(t)
	dir := dgramDir(t)
	server := listenDatagram(t, filepath.Join(dir, "s"))
	client := connectDatagram(t, server.LocalPath(), unix.WithLocalPath(filepath.Join(dir, "c")))
	require.NoError(t, client.Send(ctx, []byte("0123456789")))
	require.NoError(t, client.Send(ctx, []byte("next")))
	buf := make([]byte, 4)
	n, from, err := server.ReceiveInto(ctx, buf)
	require.ErrorIs(t, err, unix.ErrTruncated)
	assert.Equal(t, "0123", string(buf[:n]))
	assert.Equal(t, filepath.Join(dir, "c"), from)
	n, _, err = server.ReceiveInto(ctx, buf)
	require.NoError(t, err)
	assert.Equal(t, "next", string(buf[:n]))

	require.NoError(t, server.SendTo(ctx, []byte("abcdef"), from))
	n, err = client.ReceiveInto(ctx, buf[:2])
	require.ErrorIs(t, err, unix.ErrTruncated)
	assert.Equal(t, "ab", string(buf[:n]))
}

func TestDatagramPeerGone(t *testing.T) {
	ctx := dgramContext(t)
	server, err := unix.ListenDatagram(ctx, filepath.Join(dgramDir(t), "s"))
	require.NoError(t, err)
	client := connectDatagram(t, server.LocalPath())
	require.NoError(t, server.Close())
	err = client.Send(ctx, []byte("x"))
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func TestDatagramCancelAndDeadline(t *testing.T) {
	server := listenDatagram(t, filepath.Join(dgramDir(t), "s"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := server.Receive(ctx)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it block
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(dgramTimeout):
		t.Fatal("Receive was not cancelled")
	}

	tctx, tcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer tcancel()
	_, err := server.Receive(tctx)
	require.ErrorIs(t, err, tctx.Err(), "ctx.Err() is set when the call returns")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Neither left anything behind: a later Receive gets the next datagram.
	client := connectDatagram(t, server.LocalPath())
	go func() {
		time.Sleep(40 * time.Millisecond) // past the old deadline
		client.Send(context.Background(), []byte("later"))
	}()
	p, err := server.Receive(dgramContext(t))
	require.NoError(t, err)
	assert.Equal(t, "later", string(p.Data))

	already, cancel2 := context.WithCancel(context.Background())
	cancel2()
	require.ErrorIs(t, client.Send(already, []byte("x")), context.Canceled)
	_, err = client.Receive(already)
	require.ErrorIs(t, err, context.Canceled)
}

// A Unix datagram sender blocks while the receiver's queue is full; its
// context still ends the wait.
func TestDatagramSendBlocksOnFullQueueAndCancels(t *testing.T) {
	server := listenDatagram(t, filepath.Join(dgramDir(t), "s"))
	client := connectDatagram(t, server.LocalPath())
	msg := make([]byte, 1024)
	sent := 0
	var err error
	for sent < 1_000_000 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err = client.Send(ctx, msg)
		cancel()
		if err != nil {
			break
		}
		sent++
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Positive(t, sent)

	// Draining one makes room again, and nothing sent was lost.
	ctx := dgramContext(t)
	for range sent {
		_, err := server.Receive(ctx)
		require.NoError(t, err)
	}
	require.NoError(t, client.Send(ctx, []byte("room")))
	p, err := server.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "room", string(p.Data))
}

func TestDatagramCloseWakesAndStops(t *testing.T) {
	server := listenDatagram(t, filepath.Join(dgramDir(t), "s"))
	client := connectDatagram(t, server.LocalPath())
	errs := make(chan error, 2)
	go func() {
		_, err := server.Receive(context.Background())
		errs <- err
	}()
	go func() {
		_, err := client.Receive(context.Background())
		errs <- err
	}()
	time.Sleep(20 * time.Millisecond) // let them block
	require.NoError(t, server.Close())
	require.NoError(t, client.Close())
	for range 2 {
		select {
		case err := <-errs:
			require.ErrorIs(t, err, stream.ErrClosed)
			require.ErrorIs(t, err, net.ErrClosed)
		case <-time.After(dgramTimeout):
			t.Fatal("Close did not wake a blocked Receive")
		}
	}
	require.ErrorIs(t, client.Send(context.Background(), nil), stream.ErrClosed)
	require.ErrorIs(t, server.SendTo(context.Background(), nil, "/x"), stream.ErrClosed)
	require.ErrorIs(t, server.SendTo(context.Background(), nil, ""), stream.ErrClosed,
		"a closed socket says so whatever the arguments")
}

func TestDatagramCloseWrite(t *testing.T) {
	ctx := dgramContext(t)
	dir := dgramDir(t)
	server := listenDatagram(t, filepath.Join(dir, "s"))
	client := connectDatagram(t, server.LocalPath(), unix.WithLocalPath(filepath.Join(dir, "c")))
	require.NoError(t, client.CloseWrite())
	require.ErrorIs(t, client.Send(ctx, []byte("x")), stream.ErrClosed)
	require.NoError(t, server.SendTo(ctx, []byte("in"), filepath.Join(dir, "c")))
	got, err := client.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "in", string(got))
	require.NoError(t, server.CloseWrite())
	require.ErrorIs(t, server.SendTo(ctx, []byte("x"), filepath.Join(dir, "c")), stream.ErrClosed)
}

func TestDatagramConcurrentReceivers(t *testing.T) {
	ctx := dgramContext(t)
	server := listenDatagram(t, filepath.Join(dgramDir(t), "s"))
	client := connectDatagram(t, server.LocalPath())
	const receivers, total = 4, 200
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range receivers {
		wg.Go(func() {
			for {
				p, err := server.Receive(ctx)
				if err != nil {
					assert.ErrorIs(t, err, stream.ErrClosed)
					return
				}
				mu.Lock()
				seen[string(p.Data)]++
				all := len(seen) == total
				mu.Unlock()
				if all {
					server.Close()
				}
			}
		})
	}
	var senders sync.WaitGroup
	for s := range 2 {
		senders.Go(func() {
			for i := s; i < total; i += 2 {
				assert.NoError(t, client.Send(ctx, []byte(strconv.Itoa(i))))
			}
		})
	}
	senders.Wait()
	wg.Wait()
	require.Len(t, seen, total)
	for k, v := range seen {
		require.Equal(t, 1, v, "datagram %s delivered %d times", k, v)
	}
}

func TestDatagramAttributes(t *testing.T) {
	dir := dgramDir(t)
	server := listenDatagram(t, filepath.Join(dir, "s"))
	client := connectDatagram(t, server.LocalPath(), unix.WithLocalPath(filepath.Join(dir, "c")))
	la, err := stream.Extra(server, stream.LocalAddr)
	require.NoError(t, err)
	assert.Equal(t, server.LocalPath(), la.String())
	_, err = stream.Extra(server, stream.RemoteAddr)
	require.ErrorIs(t, err, stream.ErrAttributeNotFound)
	ra, err := stream.Extra(client, stream.RemoteAddr)
	require.NoError(t, err)
	assert.Equal(t, server.LocalPath(), ra.String())
	la, err = stream.Extra(client, stream.LocalAddr)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "c"), la.String())
	raw, err := stream.Extra(client, stream.RawSocket)
	require.NoError(t, err)
	assert.IsType(t, &net.UnixConn{}, raw)
}

func ExampleListenDatagram() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	server, err := unix.ListenDatagram(ctx, filepath.Join(dir, "server.sock"))
	if err != nil {
		panic(err)
	}
	defer server.Close()
	client, err := unix.ConnectDatagram(ctx, filepath.Join(dir, "server.sock"),
		unix.WithLocalPath(filepath.Join(dir, "client.sock")))
	if err != nil {
		panic(err)
	}
	defer client.Close()

	if err := client.Send(ctx, []byte("hello")); err != nil {
		panic(err)
	}
	p, err := server.Receive(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s from %s\n", p.Data, filepath.Base(p.Path))
	if err := server.SendTo(ctx, []byte("welcome"), p.Path); err != nil {
		panic(err)
	}
	reply, err := client.Receive(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", reply)
	// Output:
	// hello from client.sock
	// welcome
}
