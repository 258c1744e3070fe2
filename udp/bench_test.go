package udp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// benchWindow is how many datagrams a client keeps in flight: enough to
// amortise wake-ups, few enough that loopback buffers never drop one.
const benchWindow = 32

// BenchmarkEcho measures echo throughput over loopback: the client sends a
// window of datagrams, the server echoes each, the client reads them all
// back. One op is one datagram echoed. Baselines: raw *net.UDPConn on both
// sides with one system call per datagram, reading with Read and
// ReadFromUDPAddrPort ("net.UDPConn", which cannot tell a truncated datagram
// from a whole one) and with ReadMsgUDPAddrPort ("net.UDPConn-msg", the
// standard library's one read that reports truncation, as ReceiveInto must).
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{128, 1200} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			b.Run("net.UDPConn", func(b *testing.B) { benchEchoRaw(b, size, benchWindow, false) })
			b.Run("net.UDPConn-msg", func(b *testing.B) { benchEchoRaw(b, size, benchWindow, true) })
			b.Run("udp", func(b *testing.B) { benchEchoSingle(b, size, benchWindow, context.Background()) })
			b.Run("udp-ctx", func(b *testing.B) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				benchEchoSingle(b, size, benchWindow, ctx)
			})
			b.Run("udp-batch", func(b *testing.B) { benchEchoBatch(b, size) })
		})
	}
}

// BenchmarkPingPong measures round-trip latency with one datagram in flight.
func BenchmarkPingPong(b *testing.B) {
	b.Run("net.UDPConn", func(b *testing.B) { benchEchoRaw(b, 128, 1, false) })
	b.Run("udp", func(b *testing.B) { benchEchoSingle(b, 128, 1, context.Background()) })
}

// watchdog closes everything if a lost datagram stalls the benchmark, so
// that it fails instead of hanging.
func watchdog(b *testing.B, closers ...interface{ Close() error }) {
	t := time.AfterFunc(time.Minute, func() {
		for _, c := range closers {
			c.Close()
		}
	})
	b.Cleanup(func() { t.Stop() })
}

func report(b *testing.B, size int) {
	b.SetBytes(int64(size))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// benchEchoRaw echoes over raw sockets; withMsg reads with
// ReadMsgUDPAddrPort (recvmsg, which reports truncation) instead of
// ReadFromUDPAddrPort and Read.
func benchEchoRaw(b *testing.B, size, window int, withMsg bool) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer srv.Close()
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			var n int
			var from netip.AddrPort
			var err error
			if withMsg {
				n, _, _, from, err = srv.ReadMsgUDPAddrPort(buf, nil)
			} else {
				n, from, err = srv.ReadFromUDPAddrPort(buf)
			}
			if err != nil {
				return
			}
			srv.WriteToUDPAddrPort(buf[:n], from)
		}
	})
	cli, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	watchdog(b, srv, cli)
	msg, buf := make([]byte, size), make([]byte, 2048)

	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += window {
		k := min(window, b.N-done)
		for range k {
			if _, err := cli.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		for range k {
			var err error
			if withMsg {
				_, _, _, _, err = cli.ReadMsgUDPAddrPort(buf, nil)
			} else {
				_, err = cli.Read(buf)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, size)
}

func benchEchoSingle(b *testing.B, size, window int, ctx context.Context) {
	srv, err := Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer srv.Close()
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := srv.ReceiveInto(ctx, buf)
			if err != nil {
				return
			}
			srv.SendTo(ctx, buf[:n], from)
		}
	})
	cli, err := Connect(context.Background(), srv.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	watchdog(b, srv, cli)
	msg, buf := make([]byte, size), make([]byte, 2048)

	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += window {
		k := min(window, b.N-done)
		for range k {
			if err := cli.Send(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
		for range k {
			if _, err := cli.ReceiveInto(ctx, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, size)
}

func benchEchoBatch(b *testing.B, size int) {
	ctx := context.Background()
	srv, err := Listen(ctx, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer srv.Close()
	wg.Go(func() {
		ps := makeBatch(benchWindow, 2048)
		for {
			n, err := srv.ReceiveBatch(ctx, ps)
			if err != nil {
				return
			}
			srv.SendBatch(ctx, ps[:n])
		}
	})
	cli, err := Connect(ctx, srv.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	watchdog(b, srv, cli)
	out := makeBatch(benchWindow, size)
	in := makeBatch(benchWindow, 2048)
	for i := range out {
		out[i].Data = out[i].Data[:size]
	}

	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += benchWindow {
		k := min(benchWindow, b.N-done)
		if _, err := cli.SendBatch(ctx, out[:k]); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < k; {
			n, err := cli.ReceiveBatch(ctx, in[:k-got])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	report(b, size)
}

func makeBatch(n, capacity int) []Packet {
	ps := make([]Packet, n)
	for i := range ps {
		ps[i].Data = make([]byte, 0, capacity)
	}
	return ps
}

// BenchmarkSendReceive measures the per-call cost of the zero-allocation
// path without scheduling noise: one goroutine sends a datagram to itself
// and reads it back.
func BenchmarkSendReceive(b *testing.B) {
	b.Run("net.UDPConn", func(b *testing.B) {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		to := c.LocalAddr().(*net.UDPAddr).AddrPort()
		msg, buf := make([]byte, 128), make([]byte, 2048)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.WriteToUDPAddrPort(msg, to); err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(b *testing.B, ctx context.Context) {
		s, err := Listen(context.Background(), "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		to := s.LocalAddr()
		msg, buf := make([]byte, 128), make([]byte, 2048)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.SendTo(ctx, msg, to); err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.ReceiveInto(ctx, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("udp", func(b *testing.B) { run(b, context.Background()) })
	b.Run("udp-ctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		run(b, ctx)
	})
}
