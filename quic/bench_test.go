package quic_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/quic"
	"github.com/anyio-go/anyio/stream"
)

// rawConn returns the quic-go connection under c, for the baselines.
func rawConn(b *testing.B, c *quic.Conn) *quicgo.Conn {
	qc, err := stream.Extra(c, quic.Connection)
	if err != nil {
		b.Fatal(err)
	}
	return qc
}

// BenchmarkBulk sends 32 KiB per operation on one stream, which the peer
// drains, through this package and through quic-go's streams directly, on
// the same kind of connection.
func BenchmarkBulk(b *testing.B) {
	const chunk = 32 << 10
	p := newPKI(b)
	ctx := context.Background()

	b.Run("anyio", func(b *testing.B) {
		b.ReportAllocs()
		client, server := p.pair(b, nil, nil)
		a, r := streamPair(b, client, server)
		drained := drain(func(buf []byte) (int, error) { return r.Receive(ctx, buf) })
		buf := make([]byte, chunk)
		b.SetBytes(chunk)
		b.ResetTimer()
		for b.Loop() {
			if err := a.Send(ctx, buf); err != nil {
				b.Fatal(err)
			}
		}
		finish(b, a.CloseWrite, drained)
	})
	b.Run("quic-go", func(b *testing.B) {
		b.ReportAllocs()
		client, server := p.pair(b, nil, nil)
		a, err := rawConn(b, client).OpenStreamSync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Write([]byte{0}); err != nil {
			b.Fatal(err)
		}
		r, err := rawConn(b, server).AcceptStream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		drained := drain(r.Read)
		buf := make([]byte, chunk)
		b.SetBytes(chunk)
		b.ResetTimer()
		for b.Loop() {
			if _, err := a.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		finish(b, a.Close, drained)
	})
}

// drain reads with read until EOF in a goroutine and reports its error.
func drain(read func([]byte) (int, error)) <-chan error {
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := read(buf); err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
		}
	}()
	return done
}

// finish ends the sending side and waits for the reader to see EOF.
func finish(b *testing.B, closeWrite func() error, drained <-chan error) {
	if err := closeWrite(); err != nil {
		b.Fatal(err)
	}
	if err := <-drained; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStreams runs, per operation, 100 concurrent request/response
// exchanges of 1 KiB each way, each on a new stream of one connection, with
// an echo server.
func BenchmarkStreams(b *testing.B) {
	const streams, size = 100, 1 << 10
	p := newPKI(b)
	request := make([]byte, size)

	b.Run("anyio", func(b *testing.B) {
		b.ReportAllocs()
		client, server := p.pair(b, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- server.ServeStreams(ctx, echo) }()
		exchange := func() error {
			s, err := client.OpenStream(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Send(ctx, request); err != nil {
				return err
			}
			if err := s.CloseWrite(); err != nil {
				return err
			}
			return readAll(func(buf []byte) (int, error) { return s.Receive(ctx, buf) }, size)
		}
		runExchanges(b, streams, size, exchange)
		cancel()
		if err := <-served; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("quic-go", func(b *testing.B) {
		b.ReportAllocs()
		client, server := p.pair(b, nil, nil)
		qc, qs := rawConn(b, client), rawConn(b, server)
		ctx, cancel := context.WithCancel(context.Background())
		served := rawEchoServer(ctx, qs)
		exchange := func() error {
			s, err := qc.OpenStreamSync(ctx)
			if err != nil {
				return err
			}
			if _, err := s.Write(request); err != nil {
				return err
			}
			if err := s.Close(); err != nil {
				return err
			}
			return readAll(s.Read, size)
		}
		runExchanges(b, streams, size, exchange)
		cancel()
		served.Wait()
	})
}

// runExchanges runs b.N rounds of n concurrent exchanges.
func runExchanges(b *testing.B, n, size int, exchange func() error) {
	b.SetBytes(int64(2 * n * size))
	errs := make(chan error, n)
	b.ResetTimer()
	for b.Loop() {
		for range n {
			go func() { errs <- exchange() }()
		}
		for range n {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
}

// readAll reads until EOF and checks that want bytes came.
func readAll(read func([]byte) (int, error), want int) error {
	buf := make([]byte, 4<<10)
	got := 0
	for {
		n, err := read(buf)
		got += n
		if err == io.EOF {
			if got != want {
				return errors.New("short response")
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// rawEchoServer echoes every stream of qc with quic-go's API until ctx
// ends.
func rawEchoServer(ctx context.Context, qc *quicgo.Conn) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			s, err := qc.AcceptStream(ctx)
			if err != nil {
				return
			}
			wg.Go(func() {
				buf := make([]byte, 16<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						s.Close()
						return
					}
				}
			})
		}
	})
	return &wg
}
