package streamtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// errInjected is the failure the hooked transport injects into a Send.
var errInjected = errors.New("streamtest: injected transport send failure")

// layerTransportBuffer is the buffer of each direction of the memory pipe
// under a layer: large enough for handshakes and small records to complete
// without the peer reading.
const layerTransportBuffer = 64 << 10

// hookedTransport is the byte stream handed to Options.Layer: a memory pipe
// end that can be made to fail its next Send and that counts its Close
// calls. It is safe for concurrent use like the pipe end it wraps.
type hookedTransport struct {
	inner    *memory.BytePipeEnd
	failNext atomic.Bool
	closes   atomic.Int32
}

// Receive receives from the pipe.
func (h *hookedTransport) Receive(ctx context.Context, p []byte) (int, error) {
	return h.inner.Receive(ctx, p)
}

// Send fails with errInjected once after failNextSend, and sends on the pipe
// otherwise.
func (h *hookedTransport) Send(ctx context.Context, p []byte) error {
	if h.failNext.CompareAndSwap(true, false) {
		return fmt.Errorf("streamtest: hooked transport: send: %w", errInjected)
	}
	return h.inner.Send(ctx, p)
}

// CloseWrite half-closes the pipe.
func (h *hookedTransport) CloseWrite() error { return h.inner.CloseWrite() }

// Close counts the call and closes the pipe.
func (h *hookedTransport) Close() error {
	h.closes.Add(1)
	return h.inner.Close()
}

// Extra forwards attribute queries to the pipe.
func (h *hookedTransport) Extra(key any) (any, bool) { return stream.ForwardExtra(h.inner, key) }

// failNextSend makes the next Send fail with errInjected.
func (h *hookedTransport) failNextSend() { h.failNext.Store(true) }

// tearDown closes the pipe under the layer without the layer knowing: the
// transport vanished, and the layer's own closing protocol never ran.
func (h *hookedTransport) tearDown() error { return h.inner.Close() }

// layered returns a pair made by Options.Layer over a hooked memory
// transport, in the configured orientation, together with the transport
// under each end. It skips the check when no Layer is given.
func (e *byteEnv) layered() (a, b stream.ByteStream, ta, tb *hookedTransport) {
	e.t.Helper()
	if e.cfg.opts.Layer == nil {
		e.t.Skip("needs ByteStreamOptions.Layer to build the stream over a hooked transport")
	}
	pa, pb := memory.NewBytePipe(layerTransportBuffer)
	ta, tb = &hookedTransport{inner: pa}, &hookedTransport{inner: pb}
	e.onTeardown(func() {
		pa.Close()
		pb.Close()
	})
	a, b = e.cfg.opts.Layer(e.t, ta, tb)
	if a == nil || b == nil {
		e.t.Fatalf("Layer returned a nil stream")
	}
	e.onTeardown(func() {
		a.Close()
		b.Close()
	})
	if e.cfg.swap {
		return b, a, tb, ta
	}
	return a, b, ta, tb
}

// checkLayerSendFailure (47): when the transport's Send fails once, the
// layer reports that failure (or ErrBroken), then ErrBroken on every later
// Send, and its Close closes the transport exactly once.
func checkLayerSendFailure(e *byteEnv) {
	a, b, ta, _ := e.layered()
	e.roundTrip(a, b)

	ta.failNextSend()
	err := e.call("Send over a failing transport", func() error { return a.Send(bg, []byte("x")) })
	if !errors.Is(err, errInjected) && !errors.Is(err, stream.ErrBroken) {
		e.t.Errorf("Send when the transport's Send fails: got %v, want the transport's error or stream.ErrBroken", errString(err))
	}
	for i := range 2 {
		err := e.call("Send after a transport failure", func() error { return a.Send(bg, []byte("y")) })
		if !errors.Is(err, stream.ErrBroken) {
			e.t.Errorf("Send number %d after the transport failed: got %v, want stream.ErrBroken", i+2, errString(err))
		}
	}
	e.call("Close", a.Close)
	e.call("second Close", a.Close)
	if n := ta.closes.Load(); n != 1 {
		e.t.Errorf("the layer closed its transport %d times, want exactly once", n)
	}
}

// checkLayerTruncation (48): when the peer's transport vanishes without the
// layer's own close, Receive reports ErrBroken after the data (strict), or
// io.EOF when Options.LenientEOF says that is a normal end.
func checkLayerTruncation(e *byteEnv) {
	a, b, _, tb := e.layered()
	data := pattern(48, 100)
	e.wantNil(e.call("Send over a buffered transport", func() error { return b.Send(bg, data) }), "peer Send")
	e.wantNil(e.call("transport Close", tb.tearDown), "Close of the peer's transport")

	got, err := e.readToEnd(a, e.tm.prompt)
	if i := firstDiff(got, data); i >= 0 {
		e.t.Fatalf("received %s, which is not a prefix of the data sent", abbrev(got))
	}
	switch {
	case e.cfg.opts.LenientEOF:
		if err != nil {
			e.t.Errorf("Receive after the peer's transport vanished: %v, want io.EOF (LenientEOF)", err)
		}
		if len(got) != len(data) {
			e.t.Errorf("received %d of the %d bytes sent before the peer's transport vanished", len(got), len(data))
		}
	case err == nil:
		e.t.Errorf("Receive after the peer's transport vanished without the layer's close returned io.EOF after %d bytes, want stream.ErrBroken: a truncation must not look like a normal end", len(got))
	case !errors.Is(err, stream.ErrBroken):
		e.t.Errorf("Receive after the peer's transport vanished: %v, want stream.ErrBroken", err)
	case len(got) != len(data):
		e.t.Errorf("received %d of the %d bytes the peer sent whole before its transport vanished, then %v: what arrived must be delivered before the error", len(got), len(data), err)
	}
}
