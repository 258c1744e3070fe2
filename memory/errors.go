package memory

import (
	"fmt"

	"github.com/anyio-go/anyio/stream"
)

// The errors of this package wrap the sentinels of package stream and name
// the operation that failed. The common ones are made once, so that returning
// them never allocates (a polling TrySend loop, a closed stream hit in a
// loop).
var (
	errSendClosed        = opError("send", stream.ErrClosed)
	errSendBroken        = opError("send", stream.ErrBroken)
	errSendBusy          = opError("send", stream.ErrBusy)
	errSendWouldBlock    = opError("send", stream.ErrWouldBlock)
	errReceiveClosed     = opError("receive", stream.ErrClosed)
	errReceiveBusy       = opError("receive", stream.ErrBusy)
	errReceiveWouldBlock = opError("receive", stream.ErrWouldBlock)
	errCloneClosed       = opError("clone", stream.ErrClosed)
	errCloseWriteClosed  = opError("close write", stream.ErrClosed)
	errCloseWriteBusy    = opError("close write", stream.ErrBusy)
)

// opError wraps err with the package and the operation that failed. For a
// call given up because its context ended, err is ctx.Err(), so that
// errors.Is(err, ctx.Err()) holds for the result.
func opError(op string, err error) error {
	return fmt.Errorf("memory: %s: %w", op, err)
}
