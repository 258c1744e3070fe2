package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	ctls "crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/internal/exampletest"
	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

func TestMain(m *testing.M) {
	// quic-go's one-off warning about UDP socket buffers (see the package
	// documentation) would only clutter the test output.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	goleak.VerifyTestMain(m)
}

// fingerprintRE matches the line logging the certificate; its submatch is
// the fingerprint.
var fingerprintRE = regexp.MustCompile(`msg=certificate .*sha256=([0-9a-f]{64})`)

// startServer runs the server on a free port and returns its address, its
// certificate's fingerprint and the server; it is stopped, and must have
// stopped cleanly, when the test ends.
func startServer(t *testing.T) (addr, fp string, s *exampletest.Server) {
	t.Helper()
	s = exampletest.Start(t, run, "-addr", "127.0.0.1:0")
	t.Cleanup(func() {
		require.NoError(t, s.Stop())
		require.Contains(t, s.Log.String(), "msg=stopped")
	})
	return s.Addr, s.Log.Await(t, fingerprintRE), s
}

// pinned is a client config that trusts exactly the certificate with the
// fingerprint fp, as a client of a self-signed server does.
func pinned(fp string) *ctls.Config {
	return &ctls.Config{
		NextProtos: []string{protocol},
		// The chain is not verified against roots: the pin replaces that.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs ctls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if hex.EncodeToString(sum[:]) != fp {
				return errors.New("certificate does not match the pinned fingerprint")
			}
			return nil
		},
	}
}

func TestEchoStreams(t *testing.T) {
	addr, fp, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := quic.Connect(ctx, addr, pinned(fp), nil)
	require.NoError(t, err)
	defer c.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Go(func() {
			msg := bytes.Repeat(fmt.Appendf(nil, "stream %d;", i), 10000)
			errs <- roundTrip(ctx, c, msg)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// roundTrip sends msg on a new stream of c, ends the stream and checks
// that exactly msg comes back.
func roundTrip(ctx context.Context, c *quic.Conn, msg []byte) error {
	s, err := c.OpenStream(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	// Send and receive at once: the echo may fill the flow-control window
	// before msg is all sent.
	sent := make(chan error, 1)
	go func() {
		err := s.Send(ctx, msg)
		if err == nil {
			err = s.CloseWrite()
		}
		sent <- err
	}()
	got, err := io.ReadAll(stream.Reader(ctx, s))
	if err := errors.Join(err, <-sent); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("got %d bytes back, sent %d", len(got), len(msg))
	}
	return nil
}

func TestEchoDatagrams(t *testing.T) {
	addr, fp, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := quic.Connect(ctx, addr, pinned(fp), &quic.Config{EnableDatagrams: true})
	require.NoError(t, err)
	defer c.Close()
	d, err := c.Datagrams()
	require.NoError(t, err)
	// Datagrams may be lost: send until one comes back.
	for {
		require.NoError(t, d.Send(ctx, []byte("ping")))
		wait, cancelWait := context.WithTimeout(ctx, 200*time.Millisecond)
		got, err := d.Receive(wait)
		cancelWait()
		if err == nil {
			require.Equal(t, "ping", string(got))
			return
		}
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
}

func TestWrongFingerprintIsRefused(t *testing.T) {
	addr, _, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := quic.Connect(ctx, addr, pinned(string(make([]byte, 64))), nil)
	require.ErrorContains(t, err, "pinned fingerprint")
}

// TestShutdownWithClientConnected: cancelling ctx stops the server even
// while a client is connected, and the client learns of it.
func TestShutdownWithClientConnected(t *testing.T) {
	addr, fp, s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := quic.Connect(ctx, addr, pinned(fp), nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, roundTrip(ctx, c, []byte("hello")))

	require.NoError(t, s.Stop())
	_, err = c.AcceptStream(ctx)
	require.ErrorIs(t, err, stream.ErrBroken, "the server closed the connection")
}

func TestBadArguments(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), []string{"extra"}, &out))
	require.Error(t, run(context.Background(), []string{"-nope"}, &out))
	require.Error(t, run(context.Background(), []string{"-addr", "no-port"}, &out))
}
