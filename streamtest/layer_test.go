package streamtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/stream"
)

// framed is a small layer for testing the Layer checks: each Send becomes a
// data frame (a 0x01 byte, a 4-byte length, the payload), and CloseWrite or
// Close send an end frame (0x00). A transport that ends without an end frame
// is a truncation. The flags turn its correct behaviour off one at a time.
type framed struct {
	t stream.ByteStream

	lenient     bool // a transport EOF without an end frame is a normal end
	forgetful   bool // a failed Send does not break the layer
	closesTwice bool // Close closes the transport twice

	sendMu    sync.Mutex
	broken    atomic.Bool
	ended     bool // guarded by sendMu: the end frame went
	closeOnce sync.Once

	recvMu  sync.Mutex
	pending []byte // guarded by recvMu: the rest of the current data frame
	eof     bool   // guarded by recvMu
}

func (f *framed) Send(ctx context.Context, p []byte) error {
	f.sendMu.Lock()
	defer f.sendMu.Unlock()
	if f.broken.Load() {
		return fmt.Errorf("framed: send: %w", stream.ErrBroken)
	}
	if f.ended {
		return fmt.Errorf("framed: send: %w", stream.ErrClosed)
	}
	frame := make([]byte, 5+len(p))
	frame[0] = 1
	binary.BigEndian.PutUint32(frame[1:], uint32(len(p)))
	copy(frame[5:], p)
	if err := f.t.Send(ctx, frame); err != nil {
		if !f.forgetful {
			f.broken.Store(true)
		}
		return fmt.Errorf("framed: send: %w", stream.Broken(err))
	}
	return nil
}

func (f *framed) CloseWrite() error {
	f.sendMu.Lock()
	defer f.sendMu.Unlock()
	if f.ended || f.broken.Load() {
		return nil
	}
	f.ended = true
	if err := f.t.Send(context.Background(), []byte{0}); err != nil {
		return fmt.Errorf("framed: close write: %w", err)
	}
	return f.t.CloseWrite()
}

func (f *framed) Close() error {
	f.closeOnce.Do(func() {
		f.CloseWrite()
		f.t.Close()
	})
	if f.closesTwice {
		f.t.Close()
	}
	return nil
}

func (f *framed) Receive(ctx context.Context, p []byte) (int, error) {
	f.recvMu.Lock()
	defer f.recvMu.Unlock()
	for len(f.pending) == 0 && len(p) > 0 {
		if f.eof {
			return 0, io.EOF
		}
		if err := f.readFrame(ctx); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// readFrame reads the next frame into pending, or sets eof.
func (f *framed) readFrame(ctx context.Context) error {
	header := make([]byte, 1, 5)
	if err := f.readFull(ctx, header); err != nil {
		return err
	}
	if header[0] == 0 {
		f.eof = true
		return nil
	}
	header = header[:5]
	if err := f.readFull(ctx, header[1:]); err != nil {
		return err
	}
	f.pending = make([]byte, binary.BigEndian.Uint32(header[1:]))
	return f.readFull(ctx, f.pending)
}

func (f *framed) readFull(ctx context.Context, p []byte) error {
	for off := 0; off < len(p); {
		n, err := f.t.Receive(ctx, p[off:])
		off += n
		if err == io.EOF && f.lenient {
			f.eof = true
			return nil
		}
		if err == io.EOF {
			return fmt.Errorf("framed: receive: %w", stream.Broken(io.ErrUnexpectedEOF))
		}
		if err != nil {
			return fmt.Errorf("framed: receive: %w", err)
		}
	}
	return nil
}

// framedLayer returns a Layer that wraps both transports in framed streams
// set up by configure.
func framedLayer(configure func(*framed)) func(testing.TB, stream.ByteStream, stream.ByteStream) (stream.ByteStream, stream.ByteStream) {
	return func(_ testing.TB, a, b stream.ByteStream) (stream.ByteStream, stream.ByteStream) {
		fa, fb := &framed{t: a}, &framed{t: b}
		configure(fa)
		configure(fb)
		return fa, fb
	}
}

func TestLayerChecks(t *testing.T) {
	cases := []struct {
		name      string
		configure func(*framed)
		lenient   bool
		failing   []string // the checks that must fail; the others pass
	}{
		{"Strict", func(*framed) {}, false, nil},
		{"Lenient", func(f *framed) { f.lenient = true }, true, nil},
		{"LenientClaimingStrict", func(f *framed) { f.lenient = true }, false, []string{"LayerTruncation"}},
		{"StrictClaimingLenient", func(*framed) {}, true, []string{"LayerTruncation"}},
		{"Forgetful", func(f *framed) { f.forgetful = true }, false, []string{"LayerSendFailure"}},
		{"ClosesTwice", func(f *framed) { f.closesTwice = true }, false, []string{"LayerSendFailure"}},
	}
	for _, tc := range cases {
		for _, name := range []string{"LayerSendFailure", "LayerTruncation"} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				opts := ByteStreamOptions{Layer: framedLayer(tc.configure), LenientEOF: tc.lenient}
				rec := runRecorded(t, name, memoryPipe(1024, plain), opts)
				t.Logf("reported:\n%s", rec)
				require.False(t, rec.skipped, "the check was skipped")
				wantFail := false
				for _, f := range tc.failing {
					wantFail = wantFail || f == name
				}
				assert.Equal(t, wantFail, rec.Failed(), "whether the check failed")
			})
		}
	}
}

func TestLayerChecksSkipWithoutLayer(t *testing.T) {
	for _, name := range []string{"LayerSendFailure", "LayerTruncation"} {
		rec := runRecorded(t, name, memoryPipe(1024, plain), ByteStreamOptions{})
		assert.True(t, rec.skipped, "%s without a Layer was not skipped", name)
		assert.False(t, rec.Failed(), "%s without a Layer failed:\n%s", name, rec)
	}
}
