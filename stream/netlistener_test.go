package stream

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetListenerServesHTTP(t *testing.T) {
	l := newChanListener[ByteStream]()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	l.extra = map[any]any{LocalAddr: addr}
	nl := NetListener[ByteStream](l)
	assert.Same(t, addr, nl.Addr())

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.URL.Path)
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(nl) }()

	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		select {
		case l.conns <- FromNetConn(server):
			return client, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://anyio.test/world")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "hello /world", string(body))

	require.NoError(t, srv.Close()) // closes nl, which closes l
	assert.ErrorIs(t, <-served, http.ErrServerClosed)
	assert.True(t, l.isClosed())
}

func TestNetListenerCloseWakesAccept(t *testing.T) {
	l := newChanListener[ByteStream]()
	nl := NetListener[ByteStream](l)
	assert.Equal(t, "stream", nl.Addr().Network())
	errc := make(chan error)
	go func() {
		_, err := nl.Accept()
		errc <- err
	}()
	require.NoError(t, nl.Close())
	err := <-errc
	assert.True(t, errors.Is(err, net.ErrClosed), "got %v", err)
	assert.ErrorIs(t, nl.Close(), net.ErrClosed, "a second Close reports the listener closed")
}
