// Package tls runs TLS over any byte stream of this module: a TCP connection,
// a Unix socket, an in-memory pipe, or a stack of wrappers. It adds the
// pieces crypto/tls leaves to the caller: contexts on every call, a listener
// whose slow or hostile clients never hold up the others, a connector, the
// choice of how strictly the end of a stream is checked, half-close, and
// Unwrap to go back to plaintext on the same transport (STARTTLS and its
// reverse).
//
//	s, err := tls.Connect(ctx, "example.com:443", nil)
//	...
//	err = s.Send(ctx, []byte("GET / HTTP/1.0\r\n\r\n"))
//
// The handshake and the records themselves are crypto/tls; its Config is the
// configuration. Defaults are secure: certificates are verified, the minimum
// version is TLS 1.2 unless the config says otherwise, and nothing insecure
// happens without an explicit field in the caller's config, which is never
// modified.
package tls

import (
	"context"
	ctls "crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyio-go/anyio/internal/busy"
	"github.com/anyio-go/anyio/stream"
)

// closeNotifyTimeout bounds the close_notify a standard-compatible Close
// sends: Close never waits longer for a peer that is not reading.
const closeNotifyTimeout = 250 * time.Millisecond

// Stream is a TLS connection over a byte stream. It is a stream.ByteStream:
// one Receive and one Send may run at once (a second concurrent one returns
// stream.ErrBusy), and Close may be called at any time from any goroutine.
//
// End of stream: Receive returns io.EOF once the peer's close_notify arrived
// and everything before it was read. An end of the transport without
// close_notify is stream.ErrBroken, unless the stream is not
// StandardCompatible, in which case it is io.EOF too.
//
// Cancellation never breaks the stream. A cancelled Receive loses nothing. A
// cancelled Send returns the context's error after a prefix of p was
// encrypted: those records still reach the peer whole, ahead of anything
// sent later (a background writer finishes them; Close drops what is still
// queued). A Send that fails because the transport failed leaves the sending
// direction broken: every later Send returns stream.ErrBroken. Receive is
// unaffected by that.
//
// Sends under context.Background() go straight to the transport. The first
// Send under a context that can end starts the stream's writer goroutine;
// Close (or Unwrap) stops it, so close every Stream.
type Stream struct {
	conn      *ctls.Conn
	rc        *recordConn
	transport stream.ByteStream
	server    bool
	strict    bool

	recvSlot, sendSlot busy.Guard
	closed             atomic.Bool
	closeOnce          sync.Once

	// Guarded by sendSlot.
	writeClosed bool  // CloseWrite was called
	notifySent  bool  // close_notify was (attempted to be) sent
	sendErr     error // why the send side is broken; sticky
}

var _ stream.ByteStream = (*Stream)(nil)

// Wrap runs a TLS handshake over transport and returns the stream that
// carries TLS on it. Without AsServer it is the client side; config may then
// be nil (system roots, and the hostname from WithHostname). The server side
// needs a config with a certificate (ErrNoCertificate otherwise). config is
// never modified: one that sets no MinVersion is cloned and given TLS 1.2 as
// minimum; a server config that sets one is used as it is, so that its
// session ticket keys serve every connection.
//
// ctx bounds the handshake (and so does WithHandshakeTimeout): the
// transport's calls end when it does, as every byte stream's must. On any
// error the transport is closed. The returned Stream owns the transport: closing
// the Stream closes it, and only Unwrap gives it back.
//
// Over a synchronous transport (a memory pipe with no buffer), a TLS 1.3
// server that asks for a client certificate sends its session tickets after
// the client's last handshake message, so its Wrap returns only once the
// client reads; keep a Receive running on the client, or use a buffered
// transport.
func Wrap(ctx context.Context, transport stream.ByteStream, config *ctls.Config, opts ...Option) (*Stream, error) {
	o := newOptions(opts)
	var cfg *ctls.Config
	if o.server {
		var err error
		if cfg, err = serverConfig(config); err != nil {
			transport.Close()
			return nil, err
		}
	} else {
		cfg = clientConfig(config, &o, "")
	}
	return handshake(ctx, transport, cfg, &o)
}

// handshake runs the handshake with a config already prepared for the side
// o says.
func handshake(ctx context.Context, transport stream.ByteStream, cfg *ctls.Config, o *options) (*Stream, error) {
	if o.handshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.handshakeTimeout)
		defer cancel()
	}
	rc := newRecordConn(transport)
	s := &Stream{rc: rc, transport: transport, server: o.server, strict: o.standardCompatible}
	if o.server {
		s.conn = ctls.Server(rc, cfg)
	} else {
		s.conn = ctls.Client(rc, cfg)
	}
	if err := ctx.Err(); err != nil {
		transport.Close()
		return nil, fmt.Errorf("tls: handshake: %w", err)
	}
	rc.rctx = ctx
	rc.setWriteContext(ctx)
	rc.handshaking = true
	err := s.conn.HandshakeContext(handshakeContext(ctx, cfg))
	rc.handshaking = false
	rc.rctx = context.Background()
	rc.clearWriteContext()
	if err == nil {
		// A ctx that ended as the handshake completed still fails it.
		err = ctx.Err()
	}
	if err != nil {
		transport.Close()
		return nil, handshakeError(ctx, err)
	}
	return s, nil
}

// handshakeContext is the context handed to crypto/tls. The record layer
// already ends every transport call when ctx ends, so crypto/tls's own
// watch on ctx (a registration on it that closes the connection when it
// ends) is needed only when a callback of cfg is given the context, through
// ClientHelloInfo.Context or CertificateRequestInfo.Context, and may wait on
// it; otherwise crypto/tls gets ctx's values without its cancellation.
func handshakeContext(ctx context.Context, cfg *ctls.Config) context.Context {
	if cfg.GetCertificate != nil || cfg.GetClientCertificate != nil ||
		cfg.GetConfigForClient != nil || cfg.GetEncryptedClientHelloKeys != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// handshakeError says why a handshake failed: the context's error when it
// ended, the transport's when it broke, crypto/tls's otherwise.
func handshakeError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("tls: handshake: %w", ctxErr)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("tls: handshake: %w", stream.Broken(io.ErrUnexpectedEOF))
	}
	return fmt.Errorf("tls: handshake: %w", err)
}

// Receive reads decrypted bytes into p, returning as soon as any are
// available. After the peer's close_notify it returns io.EOF, unwrapped.
// A cancelled Receive returns the context's error and loses nothing. After
// Close it returns stream.ErrClosed.
func (s *Stream) Receive(ctx context.Context, p []byte) (int, error) {
	if s.closed.Load() {
		return 0, errClosed("receive")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("tls: receive: %w", err)
	}
	if !s.recvSlot.TryAcquire() {
		return 0, s.busy("receive")
	}
	defer s.recvSlot.Release()
	s.rc.rctx = ctx
	n, err := s.conn.Read(p)
	s.rc.rctx = context.Background()
	if n > 0 {
		// crypto/tls may pair data with an error; the error is sticky in
		// it and comes back on the next call.
		return n, nil
	}
	return 0, s.receiveError(ctx, err)
}

// receiveError maps what crypto/tls's Read returned.
func (s *Stream) receiveError(ctx context.Context, err error) error {
	switch {
	case s.closed.Load():
		return errClosed("receive")
	case err == io.EOF:
		if s.rc.sawEOF && s.strict {
			return fmt.Errorf("tls: receive: %w", errTruncated)
		}
		return io.EOF
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("tls: receive: %w", ctx.Err())
	case isContextError(err):
		// The transport saw the deadline before ctx reported it.
		return fmt.Errorf("tls: receive: %w", errors.Unwrap(err))
	case err == nil:
		// Read returns (0, nil) only for an empty p, which Receive
		// answered before; treat anything else as a broken stream.
		return fmt.Errorf("tls: receive: %w", stream.ErrBroken)
	}
	return fmt.Errorf("tls: receive: %w", stream.Broken(err))
}

// errTruncated is an end of the transport without close_notify on a
// standard-compatible stream.
var errTruncated = stream.Broken(errors.New("tls: transport ended without close_notify"))

// sendChunk is how much of p a Send under a cancellable context hands
// crypto/tls at a time: once the context ends, at most this much more is
// encrypted and queued.
const sendChunk = 16 << 10

// Send encrypts and sends all of p. After CloseWrite or Close it returns
// stream.ErrClosed. A cancelled Send returns the context's error; the
// records already made of a prefix of p are still delivered (see Stream). A
// Send that fails for any other reason returns stream.ErrBroken, and so does
// every later Send. Send does not retain p.
func (s *Stream) Send(ctx context.Context, p []byte) error {
	if err := s.beginSend("send"); err != nil {
		return err
	}
	defer s.sendSlot.Release()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tls: send: %w", err)
	}
	if len(p) == 0 {
		return nil
	}
	if ctx.Done() == nil {
		// Nothing can interrupt: one write, straight to the transport.
		return s.write(ctx, "send", p)
	}
	for len(p) > 0 {
		if err := s.rc.q.drain(ctx); err != nil {
			return s.sendFailed(ctx, "send", err)
		}
		chunk := p[:min(len(p), sendChunk)]
		if err := s.write(ctx, "send", chunk); err != nil {
			return err
		}
		p = p[len(chunk):]
		if err := ctx.Err(); err != nil && (len(p) > 0 || s.rc.q.pending()) {
			return fmt.Errorf("tls: send: %w", err)
		}
	}
	return nil
}

// write hands p to crypto/tls under ctx. Called with the send slot held.
func (s *Stream) write(ctx context.Context, op string, p []byte) error {
	s.rc.setWriteContext(ctx)
	_, err := s.conn.Write(p)
	s.rc.clearWriteContext()
	if err != nil {
		return s.sendFailed(ctx, op, err)
	}
	return nil
}

// beginSend takes the send slot for op, or says why it cannot be used.
func (s *Stream) beginSend(op string) error {
	if s.closed.Load() {
		return errClosed(op)
	}
	if !s.sendSlot.TryAcquire() {
		return s.busy(op)
	}
	var err error
	switch {
	case s.writeClosed && op == "send":
		err = errClosed(op)
	case s.sendErr != nil:
		err = &brokenSendError{op: op, cause: s.sendErr}
	}
	if err != nil {
		s.sendSlot.Release()
	}
	return err
}

// sendFailed says why op failed and, unless only ctx ended, records that
// the send side is broken. Called with the send slot held.
func (s *Stream) sendFailed(ctx context.Context, op string, err error) error {
	if s.closed.Load() {
		s.sendErr = err
		return errClosed(op)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && err == ctxErr {
		// From drain: nothing was cut short.
		return fmt.Errorf("tls: %s: %w", op, ctxErr)
	}
	s.sendErr = err
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("tls: %s: %w", op, ctxErr)
	}
	return fmt.Errorf("tls: %s: %w", op, stream.Broken(err))
}

// CloseWrite ends the sending direction while Receive keeps working. A
// standard-compatible stream sends close_notify, after which the peer's
// Receive returns io.EOF; the transport stays open (Unwrap may still follow).
// Otherwise the transport's CloseWrite is called, which a lenient peer reads
// as the end.
//
// TLS 1.3 defines this half-close. TLS 1.2 does not: a peer that follows RFC
// 5246 answers close_notify with its own and drops what it had not sent yet,
// while crypto/tls and most libraries keep sending until they close; Receive
// delivers whatever arrives either way. This end never drops data.
//
// CloseWrite is idempotent. It blocks until close_notify is handed to the
// transport; Close wakes it with stream.ErrClosed. While a Send runs it
// returns stream.ErrBusy.
func (s *Stream) CloseWrite() error {
	if err := s.beginSend("close write"); err != nil {
		return err
	}
	defer s.sendSlot.Release()
	if s.writeClosed {
		return nil
	}
	s.writeClosed = true
	if !s.strict {
		err := s.rc.q.drain(context.Background())
		if err == nil {
			err = s.transport.CloseWrite()
		}
		if err != nil {
			return s.sendFailed(context.Background(), "close write", err)
		}
		return nil
	}
	return s.sendCloseNotify(context.Background(), "close write", modeWhole)
}

// sendCloseNotify sends close_notify once, bounded by ctx; mode is
// modeLast when the transport is closed next. Called with the send slot
// held.
func (s *Stream) sendCloseNotify(ctx context.Context, op string, mode writeMode) error {
	if s.notifySent {
		return nil
	}
	s.notifySent = true
	s.rc.setWriteMode(ctx, mode)
	err := s.conn.CloseWrite()
	s.rc.clearWriteContext()
	if err != nil {
		return s.sendFailed(ctx, op, err)
	}
	return nil
}

// Close closes the stream and its transport. A standard-compatible stream
// first sends close_notify when nothing is being sent and the send side is
// healthy, waiting at most a short bound for the transport to take it (and
// whatever a cancelled Send left queued); it never waits for the peer's
// close_notify. A Send in progress is not waited for: the transport's Close
// breaks it. Blocked calls return
// stream.ErrClosed. Close is idempotent and returns the transport's Close
// error. After Unwrap it does nothing.
func (s *Stream) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.sendSlot.TryAcquire() && s.strict && s.sendErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeNotifyTimeout)
			// crypto/tls may be holding its write lock for a reply a
			// Receive is writing (an alert to a bad record) to a peer
			// that does not read: closing the transport when the time
			// is up frees it, so Close is bounded whatever holds it.
			stop := context.AfterFunc(ctx, func() { s.transport.Close() })
			s.sendCloseNotify(ctx, "close", modeLast)
			s.rc.q.drain(ctx)
			stop()
			cancel()
		}
		err = s.transport.Close()
		s.rc.q.stop()
	})
	return err
}

// ConnectionState returns the state of the TLS connection: version, cipher
// suite, peer certificates, negotiated protocol and so on.
func (s *Stream) ConnectionState() ctls.ConnectionState { return s.conn.ConnectionState() }

func (s *Stream) busy(op string) error {
	if s.closed.Load() {
		return errClosed(op)
	}
	return fmt.Errorf("tls: %s: %w", op, stream.ErrBusy)
}

// brokenSendError is the error of a send-side call on a stream whose sending
// direction failed earlier. Like crypto/tls's own sticky errors it is a
// timeout when that failure was one, so that a net.Conn over the stream
// (stream.NetConn) keeps reporting timeouts after a write deadline.
type brokenSendError struct {
	op    string
	cause error
}

func (e *brokenSendError) Error() string {
	return fmt.Sprintf("tls: %s: %v: %v", e.op, stream.ErrBroken, e.cause)
}

func (e *brokenSendError) Unwrap() []error { return []error{stream.ErrBroken, e.cause} }

// Timeout reports whether the failure that broke the stream was a timeout.
func (e *brokenSendError) Timeout() bool {
	return errors.Is(e.cause, context.DeadlineExceeded) || errors.Is(e.cause, os.ErrDeadlineExceeded)
}

// Temporary is false: a broken stream stays broken.
func (e *brokenSendError) Temporary() bool { return false }

func errClosed(op string) error { return fmt.Errorf("tls: %s: %w", op, stream.ErrClosed) }
