package unix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// Packet is a Unix datagram with the path of its peer: the sender for a
// received Packet ("" when the sender is not bound to a path), the
// destination for one being sent. Abstract names start with '@'.
type Packet struct {
	Data []byte
	Path string
}

// ErrTruncated is reported when a datagram was larger than the buffer it
// was received into. The bytes that fit are still delivered; the rest of
// the datagram is lost. Errors returned for a truncated datagram wrap it.
var ErrTruncated = errors.New("unix: datagram truncated")

// datagramReceiveSize is the buffer Receive reads into: more than the
// largest datagram a sender can send with the systems' default socket
// buffers.
const datagramReceiveSize = 256 << 10

// The datagram socket types are object streams.
var (
	_ stream.ObjectStream[Packet] = (*DatagramSocket)(nil)
	_ stream.ObjectStream[[]byte] = (*ConnectedDatagramSocket)(nil)
)

// DatagramSocket is an unconnected Unix datagram socket bound to a path: an
// object stream of Packets that receives from and sends to any peer.
//
// All methods are safe for concurrent use. Concurrent senders never
// interleave; concurrent receivers take turns, and each datagram goes to
// exactly one of them. Unix datagrams are reliable and ordered, but there is
// no end of stream: Receive never returns io.EOF. Send blocks while the
// receiver's queue is full.
type DatagramSocket struct {
	d *dgram
}

// ListenDatagram opens a Unix datagram socket bound to path ('@' first for a
// Linux abstract name). It follows Listen's rules: a stale socket file at
// path is replaced, a live socket or any other file there is an error, and
// WithMode sets the file's permission bits. Close removes the file, provided
// it is still the one ListenDatagram created. ctx bounds the bind only.
func ListenDatagram(ctx context.Context, path string, opts ...Option) (*DatagramSocket, error) {
	cfg, local := datagramConfig(opts)
	if local != "" {
		return nil, fmt.Errorf("unix: listen datagram %s: WithLocalPath applies to ConnectDatagram only", path)
	}
	conn, file, err := bindDatagram(ctx, &cfg, path)
	if err != nil {
		return nil, fmt.Errorf("unix: listen datagram %s: %w", path, err)
	}
	return &DatagramSocket{d: newDgram(conn, file, nil)}, nil
}

// bindDatagram binds an unconnected datagram socket to path.
func bindDatagram(ctx context.Context, cfg *config, path string) (*net.UnixConn, *socketFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, nil, err
	}
	lc := net.ListenConfig{Control: presetMode(cfg)}
	var conn *net.UnixConn
	file, err := bindPath(ctx, cfg, "unixgram", path, func() error {
		pc, err := lc.ListenPacket(ctx, "unixgram", path)
		if err != nil {
			return err
		}
		conn = pc.(*net.UnixConn)
		return nil
	})
	if err != nil {
		if conn != nil {
			conn.Close()
			file.remove()
		}
		return nil, nil, err
	}
	return conn, file, nil
}

// Receive waits for the next datagram and returns it in a freshly
// allocated Data of its exact length, with the sender's path. A datagram
// longer than 256 KiB is returned cut to that size together with an error
// wrapping ErrTruncated (use ReceiveInto for larger ones). It returns an
// error wrapping ctx's error when ctx ends first, and stream.ErrClosed once
// the socket is closed.
func (u *DatagramSocket) Receive(ctx context.Context) (Packet, error) {
	data, from, err := u.d.receive(ctx)
	return Packet{Data: data, Path: from}, err
}

// ReceiveInto waits for the next datagram and copies it into buf, returning
// its length and the sender's path. A datagram longer than buf is reported
// with an error wrapping ErrTruncated and n == len(buf). Otherwise it
// behaves like Receive.
func (u *DatagramSocket) ReceiveInto(ctx context.Context, buf []byte) (n int, from string, err error) {
	return u.d.receiveInto(ctx, buf)
}

// Send sends p.Data as one datagram to p.Path. It is SendTo(ctx, p.Data,
// p.Path).
func (u *DatagramSocket) Send(ctx context.Context, p Packet) error {
	return u.d.sendTo(ctx, p.Data, p.Path)
}

// SendTo sends data as one datagram to the socket bound at path. A nil
// error means the datagram is in the receiver's queue; data is not retained.
// It blocks while that queue is full. Nobody bound at path is an error
// (wrapping syscall.ENOENT, or stream.ErrBroken and syscall.ECONNREFUSED
// for a stale file); after Close or CloseWrite it is stream.ErrClosed.
func (u *DatagramSocket) SendTo(ctx context.Context, data []byte, path string) error {
	return u.d.sendTo(ctx, data, path)
}

// CloseWrite makes later sends fail with stream.ErrClosed while receiving
// goes on. Datagram sockets have no end-of-stream marker, so peers are told
// nothing.
func (u *DatagramSocket) CloseWrite() error { return u.d.closeWrite() }

// Close closes the socket, wakes blocked calls with stream.ErrClosed and
// removes the socket file ListenDatagram created, unless it was removed or
// replaced since. It is idempotent.
func (u *DatagramSocket) Close() error { return u.d.close() }

// LocalPath returns the path the socket is bound to.
func (u *DatagramSocket) LocalPath() string { return u.d.conn.LocalAddr().String() }

// Extra answers stream.LocalAddr (a *net.UnixAddr) and stream.RawSocket
// (the *net.UnixConn).
func (u *DatagramSocket) Extra(key any) (any, bool) { return u.d.extra(key) }

// ConnectedDatagramSocket is a Unix datagram socket connected to one peer:
// an object stream of []byte. The system refuses datagrams from any other
// socket. Concurrency is as for DatagramSocket.
//
// Once the peer's socket is closed, sends fail with an error wrapping
// stream.ErrBroken (and syscall.ECONNREFUSED, then syscall.ENOTCONN), and
// the socket stays disconnected.
type ConnectedDatagramSocket struct {
	d *dgram
}

// ConnectDatagram opens a Unix datagram socket connected to the one bound
// at remotePath ('@' first for a Linux abstract name). Without
// WithLocalPath the socket is not bound to a path, and its peer sees its
// datagrams come from "". With WithLocalPath it is bound there first, under
// ListenDatagram's rules (stale files replaced, WithMode applied, the file
// removed by Close). ctx bounds the setup only.
func ConnectDatagram(ctx context.Context, remotePath string, opts ...Option) (*ConnectedDatagramSocket, error) {
	cfg, local := datagramConfig(opts)
	d, err := connectDatagram(ctx, &cfg, local, remotePath)
	if err != nil {
		return nil, fmt.Errorf("unix: connect datagram %s: %w", remotePath, err)
	}
	return &ConnectedDatagramSocket{d: d}, nil
}

func connectDatagram(ctx context.Context, cfg *config, local, remotePath string) (*dgram, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPath(remotePath); err != nil {
		return nil, err
	}
	remote := &net.UnixAddr{Name: remotePath, Net: "unixgram"}
	if local == "" {
		var dialer net.Dialer
		c, err := dialer.DialContext(ctx, "unixgram", remotePath)
		if err != nil {
			return nil, err
		}
		return newDgram(c.(*net.UnixConn), nil, remote), nil
	}
	// Bind first, with the stale-file rules, then connect the bound socket,
	// so that a failed connect leaves no file behind.
	conn, file, err := bindDatagram(ctx, cfg, local)
	if err != nil {
		return nil, fmt.Errorf("local path %s: %w", local, err)
	}
	if err := connectRaw(conn, remotePath); err != nil {
		conn.Close()
		file.remove()
		return nil, err
	}
	return newDgram(conn, file, remote), nil
}

// Receive waits for the next datagram from the peer and returns it in a
// freshly allocated slice of its exact length. Datagrams longer than 256 KiB
// are cut, with an error wrapping ErrTruncated. It returns an error wrapping
// ctx's error when ctx ends first, and stream.ErrClosed once the socket is
// closed. It never returns io.EOF: once the peer is gone it waits on.
func (u *ConnectedDatagramSocket) Receive(ctx context.Context) ([]byte, error) {
	data, _, err := u.d.receive(ctx)
	return data, err
}

// ReceiveInto waits for the next datagram and copies it into buf, returning
// its length. A datagram longer than buf is reported with an error wrapping
// ErrTruncated and n == len(buf). Otherwise it behaves like Receive.
func (u *ConnectedDatagramSocket) ReceiveInto(ctx context.Context, buf []byte) (int, error) {
	n, _, err := u.d.receiveInto(ctx, buf)
	return n, err
}

// Send sends data to the peer as one datagram. A nil error means the
// datagram is in the peer's queue; data is not retained. It blocks while
// that queue is full.
func (u *ConnectedDatagramSocket) Send(ctx context.Context, data []byte) error {
	return u.d.sendTo(ctx, data, "")
}

// CloseWrite makes later sends fail with stream.ErrClosed while receiving
// goes on. The peer is told nothing.
func (u *ConnectedDatagramSocket) CloseWrite() error { return u.d.closeWrite() }

// Close closes the socket, wakes blocked calls with stream.ErrClosed and
// removes the socket file WithLocalPath made, unless it was removed or
// replaced since. It is idempotent.
func (u *ConnectedDatagramSocket) Close() error { return u.d.close() }

// RemotePath returns the path of the peer.
func (u *ConnectedDatagramSocket) RemotePath() string { return u.d.remote.Name }

// Extra answers stream.LocalAddr, stream.RemoteAddr (*net.UnixAddr) and
// stream.RawSocket (the *net.UnixConn).
func (u *ConnectedDatagramSocket) Extra(key any) (any, bool) {
	if key == stream.RemoteAddr {
		return net.Addr(u.d.remote), true
	}
	return u.d.extra(key)
}

// WithLocalPath binds the socket ConnectDatagram makes to path before it
// connects, so that the peer sees where datagrams come from and can answer.
// Other calls reject it.
func WithLocalPath(path string) Option {
	return func(c *config) { c.localPath = path }
}

// datagramConfig applies opts and returns the config and WithLocalPath's
// path ("" without it).
func datagramConfig(opts []Option) (config, string) {
	c := newConfig(opts)
	return c, c.localPath
}

// dgram is what both datagram socket types share: the descriptor, the two
// directions with their context handling, the socket file and closing.
type dgram struct {
	conn    *net.UnixConn
	file    *socketFile   // nil when not bound to a path, or abstract
	remote  *net.UnixAddr // the peer; nil when unconnected
	closing chan struct{} // closed by Close
	closed  atomic.Bool
	wclosed atomic.Bool
	once    sync.Once
	err     error // Close's result

	recv, send deadline.Direction
	scratch    []byte // Receive's buffer; guarded by the receive slot
}

func newDgram(conn *net.UnixConn, file *socketFile, remote *net.UnixAddr) *dgram {
	return &dgram{
		conn:    conn,
		file:    file,
		remote:  remote,
		closing: make(chan struct{}),
		recv:    deadline.NewDirection(conn.SetReadDeadline),
		send:    deadline.NewDirection(conn.SetWriteDeadline),
	}
}

// dgramFail turns err from operation op into the error the caller sees.
func dgramFail(op string, err error) error {
	switch {
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("unix: %s: %w", op, stream.ErrClosed)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ENOTCONN):
		return fmt.Errorf("unix: %s: %w", op, stream.Broken(err))
	}
	return fmt.Errorf("unix: %s: %w", op, err)
}

func (d *dgram) begin(dir *deadline.Direction, ctx context.Context, sending bool) error {
	if d.closed.Load() || (sending && d.wclosed.Load()) {
		return stream.ErrClosed
	}
	return dir.Begin(ctx, d.closing)
}

// receiveInto reads one datagram into buf.
func (d *dgram) receiveInto(ctx context.Context, buf []byte) (int, string, error) {
	if err := d.begin(&d.recv, ctx, false); err != nil {
		return 0, "", dgramFail("receive", err)
	}
	n, from, err := d.readLocked(ctx, buf)
	d.recv.End()
	return n, from, err
}

// readLocked reads one datagram while the receive slot is held.
func (d *dgram) readLocked(ctx context.Context, buf []byte) (int, string, error) {
	for {
		n, _, flags, addr, err := d.conn.ReadMsgUnix(buf, nil)
		if err == nil {
			from := ""
			if addr != nil {
				from = addr.Name
			}
			if flags&msgTrunc != 0 {
				return n, from, fmt.Errorf("unix: receive: %w", ErrTruncated)
			}
			return n, from, nil
		}
		if err = d.recv.Retry(ctx, err); err != nil {
			return 0, "", dgramFail("receive", err)
		}
	}
}

// receive reads one datagram into a fresh slice of its exact length.
func (d *dgram) receive(ctx context.Context) ([]byte, string, error) {
	if err := d.begin(&d.recv, ctx, false); err != nil {
		return nil, "", dgramFail("receive", err)
	}
	if d.scratch == nil {
		d.scratch = make([]byte, datagramReceiveSize)
	}
	n, from, err := d.readLocked(ctx, d.scratch)
	var data []byte
	if err == nil || errors.Is(err, ErrTruncated) {
		data = make([]byte, n)
		copy(data, d.scratch[:n])
	}
	d.recv.End()
	return data, from, err
}

// sendTo sends data as one datagram: to path on an unconnected socket, to the
// peer on a connected one (path is then "").
func (d *dgram) sendTo(ctx context.Context, data []byte, path string) error {
	if d.closed.Load() || d.wclosed.Load() {
		return dgramFail("send", stream.ErrClosed) // whatever the arguments
	}
	var to *net.UnixAddr
	if d.remote == nil {
		if err := checkPath(path); err != nil {
			return fmt.Errorf("unix: send to %q: %w", path, err)
		}
		to = &net.UnixAddr{Name: path, Net: "unixgram"}
	}
	if err := d.begin(&d.send, ctx, true); err != nil {
		return dgramFail("send", err)
	}
	defer d.send.End()
	for {
		var err error
		if to == nil {
			// write(2) suits every connected socket, including those
			// net does not know are connected.
			_, err = d.conn.Write(data)
		} else {
			_, _, err = d.conn.WriteMsgUnix(data, nil, to)
		}
		if err == nil {
			return nil
		}
		if err = d.send.Retry(ctx, err); err != nil {
			return dgramFail("send", err)
		}
	}
}

func (d *dgram) closeWrite() error {
	d.wclosed.Store(true)
	return nil
}

// close closes the descriptor once, waking blocked calls, and removes the
// socket file if it is still ours.
func (d *dgram) close() error {
	d.once.Do(func() {
		d.closed.Store(true)
		close(d.closing)
		d.recv.Close()
		d.send.Close()
		// The file goes first: while the socket is bound its inode cannot
		// be freed, so the identity check in remove cannot match another
		// file that reused the inode number.
		rerr := d.file.remove()
		err := d.conn.Close()
		if err == nil {
			err = rerr
		}
		if err != nil {
			d.err = fmt.Errorf("unix: close: %w", err)
		}
	})
	return d.err
}

func (d *dgram) extra(key any) (any, bool) {
	switch key {
	case stream.LocalAddr:
		return d.conn.LocalAddr(), true
	case stream.RawSocket:
		return net.Conn(d.conn), true
	}
	return nil, false
}
