//go:build unix

package unix_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/sockettest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/unix"
)

// pipes opens n pipes and returns their read and write ends, closed when
// the test ends.
func pipes(t *testing.T, n int) (r, w []*os.File) {
	t.Helper()
	for range n {
		pr, pw, err := os.Pipe()
		require.NoError(t, err)
		t.Cleanup(func() {
			pr.Close()
			pw.Close()
		})
		r, w = append(r, pr), append(w, pw)
	}
	return r, w
}

// requireSameFile checks that got reads what is written to w.
func requireSameFile(t *testing.T, got *os.File, w *os.File, msg string) {
	t.Helper()
	_, err := w.Write([]byte(msg))
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(got, buf)
	require.NoError(t, err)
	require.Equal(t, msg, string(buf))
}

func TestSendReceiveFDs(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	r, w := pipes(t, 3)
	ctx := context.Background()

	require.NoError(t, c.SendFDs(ctx, []byte("three"), r...))
	buf := make([]byte, 16)
	n, files, err := s.ReceiveFDs(ctx, buf, 3)
	require.NoError(t, err)
	require.Equal(t, "three", string(buf[:n]))
	require.Len(t, files, 3)
	for i, f := range files {
		requireSameFile(t, f, w[i], "via passed fd")
		require.NoError(t, f.Close())
	}

	// Plain data around descriptor messages keeps its order.
	require.NoError(t, c.Send(ctx, []byte("before|")))
	require.NoError(t, c.SendFDs(ctx, []byte("with|"), r[0]))
	require.NoError(t, c.Send(ctx, []byte("after")))
	var got bytes.Buffer
	var passed []*os.File
	for got.Len() < len("before|with|after") {
		n, files, err := s.ReceiveFDs(ctx, buf, 1)
		require.NoError(t, err)
		got.Write(buf[:n])
		passed = append(passed, files...)
	}
	require.Equal(t, "before|with|after", got.String())
	require.Len(t, passed, 1)
	require.NoError(t, passed[0].Close())

	// Without descriptors SendFDs is a Send, and ReceiveFDs a Receive.
	require.NoError(t, c.SendFDs(ctx, []byte("plain")))
	n, files, err = s.ReceiveFDs(ctx, buf, 4)
	require.NoError(t, err)
	require.Empty(t, files)
	require.Equal(t, "plain", string(buf[:n]))
}

// TestReceiveFDsClosesSurplus: descriptors beyond maxFDs, or cut off by
// the kernel, are all closed; the data still arrives.
func TestReceiveFDsClosesSurplus(t *testing.T) {
	sockettest.RequireNoFDLeak(t)
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	r, _ := pipes(t, 10)
	ctx := context.Background()
	buf := make([]byte, 16)
	for _, tc := range []struct{ sent, max int }{{2, 1}, {1, 0}, {10, 2}, {3, 2}} {
		require.NoError(t, c.SendFDs(ctx, []byte("x"), r[:tc.sent]...))
		n, files, err := s.ReceiveFDs(ctx, buf, tc.max)
		require.ErrorIs(t, err, unix.ErrTooManyFDs, "%d sent, %d taken", tc.sent, tc.max)
		require.Equal(t, 1, n, "the data is delivered")
		require.Equal(t, byte('x'), buf[0])
		require.Nil(t, files)
	}
	// The stream goes on working.
	require.NoError(t, c.SendFDs(ctx, []byte("y"), r[0]))
	_, files, err := s.ReceiveFDs(ctx, buf, 1)
	require.NoError(t, err)
	require.Len(t, files, 1)
	files[0].Close()
}

// TestReceiveDropsFDs: plain Receive of a message with descriptors gets the
// data; the descriptors do not reach the process.
func TestReceiveDropsFDs(t *testing.T) {
	r, _ := pipes(t, 2)
	sockettest.RequireNoFDLeak(t)
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	require.NoError(t, c.SendFDs(context.Background(), []byte("data"), r...))
	buf := make([]byte, 8)
	n, err := s.Receive(context.Background(), buf)
	require.NoError(t, err)
	require.Equal(t, "data", string(buf[:n]))
	sockettest.RoundTrip(t, c, s, "more")
}

// TestSendFDsLargeData: descriptors travel with the first part of a send
// larger than the socket buffer; all of it arrives in order.
func TestSendFDsLargeData(t *testing.T) {
	path := sockPath(t)
	c, s := pair(t, listen(t, path), path)
	r, w := pipes(t, 1)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	sent := make(chan error, 1)
	go func() { sent <- c.SendFDs(context.Background(), data, r[0]) }()
	var got bytes.Buffer
	var files []*os.File
	buf := make([]byte, 64<<10)
	for got.Len() < len(data) {
		n, fs, err := s.ReceiveFDs(context.Background(), buf, 1)
		require.NoError(t, err)
		got.Write(buf[:n])
		files = append(files, fs...)
	}
	require.NoError(t, <-sent)
	require.True(t, bytes.Equal(data, got.Bytes()))
	require.Len(t, files, 1)
	requireSameFile(t, files[0], w[0], "big")
	files[0].Close()
}

func TestFDCallsRules(t *testing.T) {
	path := sockPath(t)
	l := listen(t, path)
	ctx := context.Background()

	t.Run("cancel", func(t *testing.T) {
		c, s := pair(t, l, path)
		r, _ := pipes(t, 1)
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel)
		_, _, err := s.ReceiveFDs(cctx, make([]byte, 4), 1)
		require.ErrorIs(t, err, context.Canceled)
		// Nothing was lost; the next call gets the next message.
		require.NoError(t, c.SendFDs(ctx, []byte("z"), r[0]))
		n, files, err := s.ReceiveFDs(ctx, make([]byte, 4), 1)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Len(t, files, 1)
		files[0].Close()

		_, _, err = s.ReceiveFDs(cctx, make([]byte, 4), 1)
		require.ErrorIs(t, err, context.Canceled, "an already-cancelled ctx fails at once")
		require.ErrorIs(t, c.SendFDs(cctx, []byte("z"), r[0]), context.Canceled)

		dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, _, err = s.ReceiveFDs(dctx, make([]byte, 4), 1)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		sockettest.RoundTrip(t, c, s, "still fine")
	})

	t.Run("busy", func(t *testing.T) {
		c, s := pair(t, l, path)
		done := make(chan error, 1)
		go func() {
			_, _, err := s.ReceiveFDs(ctx, make([]byte, 4), 1)
			done <- err
		}()
		time.Sleep(20 * time.Millisecond) // let ReceiveFDs block
		_, err := s.Receive(ctx, make([]byte, 4))
		require.ErrorIs(t, err, stream.ErrBusy)
		_, _, err = s.ReceiveFDs(ctx, make([]byte, 4), 1)
		require.ErrorIs(t, err, stream.ErrBusy)
		require.NoError(t, c.Send(ctx, []byte("w")))
		require.NoError(t, <-done)
	})

	t.Run("close wakes", func(t *testing.T) {
		_, s := pair(t, l, path)
		done := make(chan error, 1)
		go func() {
			_, _, err := s.ReceiveFDs(ctx, make([]byte, 4), 1)
			done <- err
		}()
		time.Sleep(20 * time.Millisecond) // let ReceiveFDs block
		require.NoError(t, s.Close())
		require.ErrorIs(t, <-done, stream.ErrClosed)
		_, _, err := s.ReceiveFDs(ctx, make([]byte, 4), 1)
		require.ErrorIs(t, err, stream.ErrClosed)
		require.ErrorIs(t, s.SendFDs(ctx, []byte("x")), stream.ErrClosed)
	})

	t.Run("half close", func(t *testing.T) {
		c, s := pair(t, l, path)
		r, _ := pipes(t, 1)
		require.NoError(t, c.CloseWrite())
		require.ErrorIs(t, c.SendFDs(ctx, []byte("x"), r[0]), stream.ErrClosed)
		n, files, err := s.ReceiveFDs(ctx, make([]byte, 4), 1)
		require.Equal(t, io.EOF, err, "EOF unwrapped")
		require.Zero(t, n)
		require.Nil(t, files)
	})

	t.Run("bad arguments", func(t *testing.T) {
		c, s := pair(t, l, path)
		r, _ := pipes(t, 1)
		require.ErrorContains(t, c.SendFDs(ctx, nil, r[0]), "at least one byte")
		closed, _ := pipes(t, 1)
		closed[0].Close()
		require.Error(t, c.SendFDs(ctx, []byte("x"), closed[0]))
		n, files, err := s.ReceiveFDs(ctx, nil, 1)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Nil(t, files)
		sockettest.RoundTrip(t, c, s, "unaffected")
	})
}
