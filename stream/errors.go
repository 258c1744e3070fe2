package stream

import (
	"errors"
	"fmt"
	"io"
	"net"
)

var (
	// ErrEndOfStream is returned by Receive once the peer has sent EOF (or
	// every sender has closed) and all data was read. It is io.EOF itself and
	// is returned unwrapped.
	ErrEndOfStream = io.EOF

	// ErrClosed is returned by every call on an end that was closed locally.
	// errors.Is(err, net.ErrClosed) holds for it too.
	ErrClosed error = closedError{}

	// ErrBroken is returned when the peer or the transport failed: the
	// connection was reset, every receiver is gone, or a stream could not stay
	// consistent. Errors wrapping it also wrap the cause.
	ErrBroken = errors.New("stream: broken")

	// ErrBusy is returned when another goroutine is already receiving (or
	// sending) on the same byte stream.
	ErrBusy = errors.New("stream: another goroutine is already using this direction")

	// ErrWouldBlock is returned by Try* calls that could not complete at once.
	ErrWouldBlock = errors.New("stream: operation would block")

	// ErrAttributeNotFound is returned by Extra when no provider answers the
	// attribute. The returned error names the attribute.
	ErrAttributeNotFound = errors.New("stream: attribute not found")
)

// closedError is ErrClosed: its own sentinel that also matches net.ErrClosed,
// so code written against net keeps working.
type closedError struct{}

func (closedError) Error() string { return "stream: use of closed stream" }

func (closedError) Is(target error) bool { return target == net.ErrClosed }

// Broken returns an error that wraps both ErrBroken and cause, so that
// errors.Is(err, ErrBroken) and errors.Is(err, cause) both hold. A nil cause
// gives ErrBroken itself; a cause that already wraps ErrBroken is returned
// as it is.
func Broken(cause error) error {
	if cause == nil {
		return ErrBroken
	}
	if errors.Is(cause, ErrBroken) {
		return cause
	}
	return &brokenError{cause: cause}
}

type brokenError struct{ cause error }

func (e *brokenError) Error() string   { return fmt.Sprintf("%v: %v", ErrBroken, e.cause) }
func (e *brokenError) Unwrap() []error { return []error{ErrBroken, e.cause} }
