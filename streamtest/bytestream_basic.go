package streamtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// checkSendReceive (1): one byte sent arrives as one byte.
func checkSendReceive(e *byteEnv) {
	a, b := e.pair()
	sent := e.sendAsync(a, []byte("x"))
	buf := make([]byte, 1)
	n, err := e.recvPrompt(bg, b, buf, "Receive of one sent byte")
	if err != nil || n != 1 || buf[0] != 'x' {
		e.t.Fatalf("Receive of one sent byte returned (%d, %v) with %q, want (1, nil) with \"x\"", n, err, buf[:n])
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send of one byte"), "Send of one byte")
}

// checkEmptySend (2): an empty Send is not an end of stream and delivers no
// zero-length Receive.
func checkEmptySend(e *byteEnv) {
	a, b := e.pair()
	sent := async(e.harness, func() error {
		if err := a.Send(bg, nil); err != nil {
			return fmt.Errorf("empty Send: %w", err)
		}
		if err := a.Send(bg, []byte{}); err != nil {
			return fmt.Errorf("empty non-nil Send: %w", err)
		}
		return a.Send(bg, []byte("y"))
	})
	buf := make([]byte, 1)
	n, err := e.recvPrompt(bg, b, buf, "Receive after an empty Send")
	if err != nil || n != 1 || buf[0] != 'y' {
		e.t.Fatalf("Receive after an empty Send returned (%d, %v) with %q, want (1, nil) with \"y\"", n, err, buf[:n])
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Sends of empty and one-byte data")
}

// checkZeroLengthReceive (3): Receive with an empty buffer never blocks and
// never reports end of stream; on a closed end it reports the close.
func checkZeroLengthReceive(e *byteEnv) {
	a, b := e.pair()
	for _, p := range [][]byte{nil, {}} {
		n, err := e.recvPrompt(bg, b, p, "Receive with an empty buffer")
		if n != 0 || err != nil {
			e.t.Errorf("Receive with an empty buffer returned (%d, %v), want (0, nil) at once", n, err)
		}
	}
	e.wantNil(e.call("Close", a.Close), "peer Close")
	n, err := e.recvPrompt(bg, b, nil, "Receive with an empty buffer after the peer closed")
	if n != 0 || err != nil {
		e.t.Errorf("Receive with an empty buffer after the peer closed returned (%d, %v), want (0, nil): end of stream is reported only to a non-empty buffer", n, err)
	}
	e.wantNil(e.call("Close", b.Close), "Close")
	_, err = e.recvPrompt(bg, b, nil, "Receive with an empty buffer after Close")
	e.wantClosed(err, "Receive with an empty buffer after Close")
}

// checkPartialReceive (4): Receive returns what is there instead of waiting
// to fill the buffer.
func checkPartialReceive(e *byteEnv) {
	a, b := e.pair()
	sent := e.sendAsync(a, []byte("abc"))
	buf := make([]byte, 4096)
	var got []byte
	for len(got) < 3 {
		n, err := e.recvPrompt(bg, b, buf, "Receive into a 4096-byte buffer with 3 bytes sent (it must not wait to fill the buffer)")
		if err != nil {
			e.t.Fatalf("Receive after %d of 3 sent bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "abc" {
		e.t.Errorf("received %q, want \"abc\"", got)
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send of 3 bytes")
}

// checkSubSliceSend (5): Send sends exactly its slice, not the backing array
// around it.
func checkSubSliceSend(e *byteEnv) {
	a, b := e.pair()
	big := pattern(5, 100)
	want := bytes.Clone(big[10:20])
	sent := async(e.harness, func() error {
		if err := a.Send(bg, big[10:20]); err != nil {
			return err
		}
		return a.Close()
	})
	got, err := e.readToEnd(b, e.tm.prompt)
	e.wantNil(err, "Receive of a sub-slice Send")
	if !bytes.Equal(got, want) {
		e.t.Errorf("Send(big[10:20]) delivered %s, want exactly those 10 bytes %q", abbrev(got), want)
	}
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send and Close"), "Send of a sub-slice, then Close")
}

// checkRacyWrite (6): Send does not retain its buffer: overwriting it once
// Send has returned (by success or by cancellation) changes nothing that is
// delivered, and races with nothing.
func checkRacyWrite(e *byteEnv) {
	const chunks, size = 64, 1024
	a, b := e.pair()
	sent := async(e.harness, func() error {
		p := make([]byte, size)
		for i := range chunks {
			for j := range p {
				p[j] = byte(i)
			}
			if err := a.Send(bg, p); err != nil {
				return err
			}
			for j := range p {
				p[j] = 0xEE // must not reach the peer
			}
		}
		return e.closeEnd(a)
	})
	got, err := e.readToEnd(b, 0)
	e.wantNil(err, "Receive")
	e.wantNil(await(e.harness, sent, e.tm.prompt, "Send"), "Send")
	for i, c := range got {
		if c != byte(i/size) {
			e.t.Fatalf("byte %d is %#x, want %#x: Send retained its buffer and sent it after the caller overwrote it", i, c, byte(i/size))
		}
	}
	if len(got) != chunks*size {
		e.t.Fatalf("received %d bytes, want %d", len(got), chunks*size)
	}

	// Now with Sends cut short by their deadline: what happens to the
	// stream is not the point, only that Send is done with p on return.
	a, b = e.pair()
	drained := async(e.harness, func() error {
		_, err := e.readToEnd(b, 0)
		return err
	})
	p := make([]byte, 256<<10)
	for i := range 20 {
		ctx, cancel := context.WithTimeout(bg, time.Duration(i%4)*time.Millisecond)
		err := a.Send(ctx, p)
		cancel()
		for j := range p {
			p[j] = byte(i)
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			if e.cfg.opts.SendBreaksOnCancel && errors.Is(err, stream.ErrBroken) {
				break
			}
			e.t.Errorf("Send with a deadline returned %v, want nil or context.DeadlineExceeded", err)
			break
		}
	}
	// After a cut Send the stream may be broken, so Close's error and the
	// reader's outcome are not checked; both must merely end.
	e.call("Close", a.Close)
	<-drained
}

// checkRacyRead (7): Receive does not write into its buffer once it has
// returned, including by cancellation.
func checkRacyRead(e *byteEnv) {
	a, b := e.pair()
	data := pattern(7, 1<<20)
	sent := async(e.harness, func() error {
		for off := 0; off < len(data); off += 1024 {
			if err := a.Send(bg, data[off:off+1024]); err != nil {
				return err
			}
		}
		return nil
	})
	rng := rand.New(rand.NewSource(7))
	p := make([]byte, 1024)
	for range 200 {
		ctx, cancel := context.WithTimeout(bg, time.Duration(rng.Intn(1000))*time.Microsecond)
		_, err := e.recv(ctx, b, p)
		cancel()
		for j := range p {
			p[j] = 0xEE // races with a Receive still writing into p
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			e.t.Fatalf("Receive with a deadline returned %v, want nil or context.DeadlineExceeded", err)
		}
	}
	e.wantNil(e.call("Close", b.Close), "Close")
	<-sent // the sender ends with a broken stream
}

// checkBasicIO (8): 1 MiB sent in 1 KiB chunks and a Close arrive intact,
// followed by io.EOF, and both Closes return nil.
func checkBasicIO(e *byteEnv) {
	a, b := e.pair()
	want := pattern(8, 1<<20)
	sent := async(e.harness, func() error {
		for off := 0; off < len(want); off += 1024 {
			if err := a.Send(bg, want[off:off+1024]); err != nil {
				return fmt.Errorf("Send at offset %d: %w", off, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("Close after sending: %w", err)
		}
		return nil
	})
	got, err := e.readToEnd(b, 0)
	e.wantNil(err, "Receive up to end of stream")
	if i := firstDiff(got, want); i >= 0 || len(got) != len(want) {
		e.t.Errorf("received %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
	}
	e.wantNil(<-sent, "sending side")
	e.wantNil(e.call("Close", b.Close), "Close of the receiving side after io.EOF")
}

// checkPingPong (9): an 8-byte counter bounced up to 1000; the side that
// sees 1000 closes, and the other then reads io.EOF.
func checkPingPong(e *byteEnv) {
	a, b := e.pair()
	pinger := func(s stream.ByteStream, start bool) error {
		buf := make([]byte, 8)
		if start {
			if err := s.Send(bg, buf); err != nil {
				return fmt.Errorf("first Send: %w", err)
			}
		}
		var prev uint64
		for {
			err := e.readFull(s, buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("Receive after %d: %w", prev, err)
			}
			v := binary.LittleEndian.Uint64(buf)
			if prev != 0 && v != prev+2 {
				return fmt.Errorf("received %d after %d, want %d", v, prev, prev+2)
			}
			prev = v
			if v == 1000 {
				break
			}
			binary.LittleEndian.PutUint64(buf, v+1)
			if err := s.Send(bg, buf); err != nil {
				return fmt.Errorf("Send of %d: %w", v+1, err)
			}
		}
		if prev < 999 {
			return fmt.Errorf("stream ended at %d, before the counter reached 999", prev)
		}
		return s.Close()
	}
	ra := async(e.harness, func() error { return pinger(a, true) })
	rb := async(e.harness, func() error { return pinger(b, false) })
	e.wantNil(<-ra, "ping-pong on A")
	e.wantNil(<-rb, "ping-pong on B")
}

// checkBothWaysRandomChunks (10): 1 MiB each way at once, with random send
// chunks and receive buffers, arrives intact without deadlock.
func checkBothWaysRandomChunks(e *byteEnv) {
	const size = 1 << 20
	a, b := e.pair()
	send := func(s stream.ByteSender, seed int64) <-chan error {
		return async(e.harness, func() error {
			data := pattern(seed, size)
			rng := rand.New(rand.NewSource(seed + 1))
			for off := 0; off < size; {
				n := min(1+rng.Intn(16384), size-off)
				if err := s.Send(bg, data[off:off+n]); err != nil {
					return fmt.Errorf("Send at offset %d: %w", off, err)
				}
				off += n
			}
			return nil
		})
	}
	receive := func(s stream.ByteReceiver, seed int64) <-chan error {
		return async(e.harness, func() error {
			want := pattern(seed, size)
			rng := rand.New(rand.NewSource(seed + 2))
			buf := make([]byte, 16384)
			for off := 0; off < size; {
				n, err := e.recv(bg, s, buf[:1+rng.Intn(len(buf))])
				if err != nil {
					return fmt.Errorf("Receive at offset %d: %w", off, err)
				}
				if n > size-off {
					return fmt.Errorf("received %d bytes more than were sent", n-(size-off))
				}
				if i := firstDiff(buf[:n], want[off:off+n]); i >= 0 {
					return fmt.Errorf("received data differs at offset %d", off+i)
				}
				off += n
			}
			return nil
		})
	}
	results := []<-chan error{send(a, 100), send(b, 200), receive(b, 100), receive(a, 200)}
	names := []string{"A→B sender", "B→A sender", "A→B receiver", "B→A receiver"}
	for i, r := range results {
		e.wantNil(<-r, names[i])
	}
}

// checkLargeSend (11): a single 10 MB Send is delivered whole while the peer
// reads, followed by exactly what came after it.
func checkLargeSend(e *byteEnv) {
	const size = 10_000_000
	a, b := e.pair()
	want := pattern(11, size)
	sent := async(e.harness, func() error {
		if err := a.Send(bg, want); err != nil {
			return fmt.Errorf("Send of 10 MB: %w", err)
		}
		if err := a.Send(bg, []byte("e")); err != nil {
			return fmt.Errorf("Send after 10 MB: %w", err)
		}
		return e.closeEnd(a)
	})
	buf := make([]byte, 64<<10)
	off := 0
	for {
		n, err := e.recv(bg, b, buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			e.t.Fatalf("Receive at offset %d: %v", off, err)
		}
		if off+n > size+1 {
			e.t.Fatalf("received %d bytes, more than the 10 MB and \"e\" that were sent", off+n)
		}
		got := buf[:n]
		if end := min(off+n, size); off < end {
			if i := firstDiff(got[:end-off], want[off:end]); i >= 0 {
				e.t.Fatalf("received data differs at offset %d", off+i)
			}
		}
		if off+n == size+1 && got[n-1] != 'e' {
			e.t.Fatalf("byte after the 10 MB is %q, want \"e\"", got[n-1])
		}
		off += n
	}
	if off != size+1 {
		e.t.Errorf("received %d bytes before io.EOF, want %d", off, size+1)
	}
	e.wantNil(<-sent, "sending side")
}
