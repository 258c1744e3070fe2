package quic_test

import (
	"context"
	"io"
	"testing"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/streamtest"
)

// pairMaker makes each pair of streams on a connection of its own, whose
// ends have cfg.
func pairMaker(p *pki, cfg *quic.Config) streamtest.MakeByteStreams {
	return func(t testing.TB) (stream.ByteStream, stream.ByteStream, func()) {
		client, server := p.connPair(t, cfg, cfg)
		a, b := streamPair(t, client, server)
		return a, b, func() {
			client.Close()
			server.Close()
		}
	}
}

// smallWindows makes Send block once 16 KiB wait unread at the peer.
var smallWindows = &quic.Config{
	InitialStreamReceiveWindow: 16 << 10,
	MaxStreamReceiveWindow:     16 << 10,
}

func TestConformanceStream(t *testing.T) {
	p := newPKI(t)
	streamtest.TestByteStream(t, pairMaker(p, nil), streamtest.ByteStreamOptions{
		Clogged: pairMaker(p, smallWindows),
		Abort:   func(s stream.ByteStream) { s.(*quic.Stream).Abort(7) },
	})
}

func TestConformanceListener(t *testing.T) {
	p := newPKI(t)
	streamtest.TestListener(t, func(t testing.TB) (stream.Listener[*quic.Conn], func(context.Context) (io.Closer, error), func()) {
		l, err := quic.Listen(testCtx(t), "127.0.0.1:0", p.serverTLS(), nil)
		if err != nil {
			t.Fatal(err)
		}
		dial := func(ctx context.Context) (io.Closer, error) {
			c, err := quic.Connect(ctx, l.Addr().String(), p.clientTLS(), nil)
			if err != nil {
				return nil, err
			}
			return c, nil
		}
		return l, dial, nil
	})
}
