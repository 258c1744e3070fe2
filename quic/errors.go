package quic

import (
	"errors"
	"fmt"
	"io"

	quicgo "github.com/quic-go/quic-go"

	"github.com/anyio-go/anyio/stream"
)

// Operation names used in error messages.
const (
	opReceive    = "receive"
	opSend       = "send"
	opCloseWrite = "close write"
)

// Errors returned without allocating on the paths that are hit repeatedly.
var (
	errReceiveClosed    = fmt.Errorf("quic: %s: %w", opReceive, stream.ErrClosed)
	errReceiveBusy      = fmt.Errorf("quic: %s: %w", opReceive, stream.ErrBusy)
	errSendClosed       = fmt.Errorf("quic: %s: %w", opSend, stream.ErrClosed)
	errSendBusy         = fmt.Errorf("quic: %s: %w", opSend, stream.ErrBusy)
	errCloseWriteClosed = fmt.Errorf("quic: %s: %w", opCloseWrite, stream.ErrClosed)
	errCloseWriteBusy   = fmt.Errorf("quic: %s: %w", opCloseWrite, stream.ErrBusy)
)

// closedError returns the error for op on an end closed locally.
func closedError(op string) error {
	switch op {
	case opReceive:
		return errReceiveClosed
	case opSend:
		return errSendClosed
	case opCloseWrite:
		return errCloseWriteClosed
	}
	return fmt.Errorf("quic: %s: %w", op, stream.ErrClosed)
}

// connError maps the error with which quic-go reports the end of a
// connection: this end closed it (stream.ErrClosed, the cause kept), or the
// peer or the network ended it (stream.ErrBroken wrapping the cause).
func connError(op string, err error) error {
	var ae *quicgo.ApplicationError
	if errors.As(err, &ae) && !ae.Remote {
		return fmt.Errorf("quic: %s: %w (%w)", op, stream.ErrClosed, err)
	}
	return fmt.Errorf("quic: %s: %w", op, stream.Broken(err))
}

// streamError maps an error of a stream's Read, Write or Close that is not
// the wake-up of an ended ctx: io.EOF as it is, a stream this end closed or
// reset as stream.ErrClosed, everything else (the peer's reset, the end of
// the connection) as connError does.
func streamError(op string, err error) error {
	if err == io.EOF {
		return io.EOF
	}
	var se *quicgo.StreamError
	if errors.As(err, &se) && !se.Remote || errors.Is(err, quicgo.ErrStreamClosed) {
		return closedError(op)
	}
	return connError(op, err)
}

// isBroken reports whether err, from streamError, ends that direction of a
// stream for good.
func isBroken(err error) bool { return errors.Is(err, stream.ErrBroken) }

// peerClosedCleanly reports whether err says the peer closed the connection
// with application error code 0, the code of Close.
func peerClosedCleanly(err error) bool {
	var ae *quicgo.ApplicationError
	return errors.As(err, &ae) && ae.Remote && ae.ErrorCode == 0
}
