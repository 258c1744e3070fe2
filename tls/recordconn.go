package tls

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/anyio-go/anyio/stream"
)

// recordHeaderLen is the size of a TLS record header: type, version, length.
const recordHeaderLen = 5

// readAheadSize is how much recordConn asks the transport for at once (four
// full records, allocated on the first read after the handshake). One
// transport read usually brings several records, so crypto/tls's
// record-at-a-time reads cost a copy, not a system call, each. 64 KiB keeps bulk throughput level with
// crypto/tls on a raw socket; 32 KiB measured 0.91–0.96× of it.
const readAheadSize = 64 << 10

// handshakeReadSize is the read-ahead buffer a handshake starts with: a
// whole flight of handshake records usually fits, and a connection that is
// closed right after its handshake never pays for the full read-ahead
// buffer. The first read after the handshake replaces it with one of
// readAheadSize.
const handshakeReadSize = 4 << 10

// recordConn is the net.Conn crypto/tls drives, over a stream.ByteStream.
//
// Reads never hand crypto/tls more than the rest of the current record, even
// though recordConn itself reads ahead of it: crypto/tls would otherwise pull
// whatever follows a close_notify into its own buffer, where it is lost to
// Unwrap. Whatever recordConn has read ahead is, after crypto/tls has
// consumed the close_notify record, exactly the bytes that followed it.
//
// Blocking calls take their context from the Stream operation that drives
// them: rctx for reads, wctx for writes. A cancelled read returns a temporary
// net.Error, which crypto/tls does not treat as fatal and retries from where
// it left off (the bytes already read stay in its buffer or in ours). A write
// whose context ends never cuts a record short (see sendQueue).
type recordConn struct {
	transport stream.ByteStream

	// Read side: used only by the goroutine inside crypto/tls's Read or
	// handshake, which crypto/tls serialises and Stream guards with its
	// receive slot.
	rctx       context.Context
	buf        []byte // read-ahead storage; buf[start:end] is unread
	start, end int
	hdr        [recordHeaderLen]byte
	hdrN       int  // bytes of the current record's header handed out
	bodyLeft   int  // bytes of the current record's body still to hand out
	sawEOF     bool // the transport reported end of stream

	// Write side. crypto/tls writes from the sending goroutine, but also
	// from the receiving one (alerts, key update replies), so the context a
	// write uses is kept under a mutex.
	mu          sync.Mutex
	wctx        context.Context // the Send (or close) in progress; nil when none
	wmode       writeMode       // how wctx's writes may reach the transport
	q           *sendQueue
	handshaking bool // writes go straight to the transport; reads use a small buffer
}

func newRecordConn(transport stream.ByteStream) *recordConn {
	return &recordConn{
		transport: transport,
		rctx:      context.Background(),
		q:         newSendQueue(transport.Send),
	}
}

// Read hands crypto/tls at most the rest of the current record. Once the
// header is in the buffer the whole record goes in one call: crypto/tls then
// reads each record with one Read instead of two.
func (c *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.start == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	avail := c.buf[c.start:c.end]
	n := copy(p[:min(len(p), c.recordLeft(avail))], avail)
	c.advance(avail[:n])
	c.start += n
	return n, nil
}

// recordLeft is how many bytes, from the start of avail, belong to the
// current record: up to its end when its header is known (in hdr, avail or
// both), what there is of the header otherwise.
func (c *recordConn) recordLeft(avail []byte) int {
	if c.hdrN == recordHeaderLen {
		return c.bodyLeft
	}
	need := recordHeaderLen - c.hdrN
	if len(avail) < need {
		return len(avail)
	}
	at := func(i int) int {
		if i < c.hdrN {
			return int(c.hdr[i])
		}
		return int(avail[i-c.hdrN])
	}
	return need + (at(3)<<8 | at(4))
}

// fill reads ahead from the transport into the empty buffer, which is
// small while handshaking and full-size after.
func (c *recordConn) fill() error {
	switch {
	case c.buf == nil && c.handshaking:
		c.buf = make([]byte, handshakeReadSize)
	case len(c.buf) < readAheadSize && !c.handshaking:
		c.buf = make([]byte, readAheadSize)
	}
	n, err := c.transport.Receive(c.rctx, c.buf)
	if err != nil {
		return c.readError(err)
	}
	c.start, c.end = 0, n
	return nil
}

// advance tracks record boundaries over the bytes b just handed out, which
// never go past the end of the current record.
func (c *recordConn) advance(b []byte) {
	if c.hdrN < recordHeaderLen {
		k := copy(c.hdr[c.hdrN:], b)
		c.hdrN += k
		b = b[k:]
		if c.hdrN == recordHeaderLen {
			c.bodyLeft = int(c.hdr[3])<<8 | int(c.hdr[4])
		}
	}
	c.bodyLeft -= len(b)
	if c.hdrN == recordHeaderLen && c.bodyLeft == 0 {
		c.hdrN = 0
	}
}

// readError translates a transport error for crypto/tls: end of stream stays
// io.EOF (and is remembered, so Stream can tell a bare end from a
// close_notify), and cancellation becomes a temporary error so that
// crypto/tls keeps the connection usable.
func (c *recordConn) readError(err error) error {
	if err == io.EOF {
		c.sawEOF = true
		return io.EOF
	}
	if isContextError(err) {
		// Checked by kind, not against rctx.Err(): a transport may notice
		// its deadline a moment before the context does. Either way the
		// transport consumed nothing.
		return &cancelledError{err: err}
	}
	return err
}

// isContextError reports whether err says a context ended.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// buffered returns a copy of the bytes read ahead but not handed out.
func (c *recordConn) buffered() []byte {
	if c.start == c.end {
		return nil
	}
	return append([]byte(nil), c.buf[c.start:c.end]...)
}

// Write sends the record (or flight of records) p whole, through the send
// queue: see sendQueue for what happens when the write context ends. A
// write that no Stream operation set a context for comes from crypto/tls's
// Read (an alert, a key update reply): it runs on the receiving goroutine,
// under the Receive's context, so that a Receive whose ctx ends returns
// even while its reply cannot go out.
func (c *recordConn) Write(p []byte) (int, error) {
	ctx, mode, set := c.writeContext()
	if !set {
		ctx = c.rctx
	}
	if c.handshaking {
		mode = modeDirect
	}
	if err := c.q.write(ctx, p, mode); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeContext returns the context and mode a Stream operation set for
// writes, and whether one did.
func (c *recordConn) writeContext() (context.Context, writeMode, bool) {
	c.mu.Lock()
	ctx, mode := c.wctx, c.wmode
	c.mu.Unlock()
	if ctx == nil {
		return context.Background(), modeWhole, false
	}
	return ctx, mode, true
}

func (c *recordConn) setWriteContext(ctx context.Context) { c.setWriteMode(ctx, modeWhole) }

// setWriteMode is setWriteContext for writes that may go to the transport
// as mode allows (see writeMode).
func (c *recordConn) setWriteMode(ctx context.Context, mode writeMode) {
	c.mu.Lock()
	c.wctx, c.wmode = ctx, mode
	c.mu.Unlock()
}

// clearWriteContext ends the operation setWriteContext began: writes from
// elsewhere (the receiving side) then use the receiving side's context.
func (c *recordConn) clearWriteContext() {
	c.mu.Lock()
	c.wctx, c.wmode = nil, modeWhole
	c.mu.Unlock()
}

// Close closes the transport. crypto/tls calls it when the context it was
// given for a handshake ends (see handshakeContext); Stream closes the
// transport itself otherwise.
func (c *recordConn) Close() error { return c.transport.Close() }

// LocalAddr reports the transport's local address, if it has one.
func (c *recordConn) LocalAddr() net.Addr { return c.addr(stream.LocalAddr) }

// RemoteAddr reports the transport's remote address, if it has one.
func (c *recordConn) RemoteAddr() net.Addr { return c.addr(stream.RemoteAddr) }

func (c *recordConn) addr(a *stream.Attribute[net.Addr]) net.Addr {
	if v := stream.ExtraOr(c.transport, a, nil); v != nil {
		return v
	}
	return transportAddr{}
}

// Deadlines are contexts here: every blocking call already carries the
// context of the operation it serves. crypto/tls only sets one around
// close_notify, which Stream bounds itself.
func (c *recordConn) SetDeadline(time.Time) error      { return nil }
func (c *recordConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }

// transportAddr stands in for the address of a transport that has none.
type transportAddr struct{}

func (transportAddr) Network() string { return "stream" }
func (transportAddr) String() string  { return "stream" }

// cancelledError is a read cut short by its context. It is a temporary
// net.Error, which crypto/tls returns without poisoning the connection.
type cancelledError struct{ err error }

func (e *cancelledError) Error() string   { return e.err.Error() }
func (e *cancelledError) Unwrap() error   { return e.err }
func (e *cancelledError) Timeout() bool   { return errors.Is(e.err, context.DeadlineExceeded) }
func (e *cancelledError) Temporary() bool { return true }
