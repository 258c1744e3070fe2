// Package relabel tells the errors of a stream made by stream.FromNetConn as
// the errors of the transport that wraps it: "stream: send: ..." becomes
// "tcp: send: ...", while errors.Is and errors.As still see everything the
// original wraps. It also words the cause a broken send side keeps for the
// wrappers that layer on a byte stream (SendCause).
package relabel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// As returns err told as package pkg's own: its message starts with
// pkg + ": " in place of "stream: ", and it unwraps to err. nil and io.EOF
// are returned as they are, so only failing calls allocate.
func As(pkg string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &labelled{pkg: pkg, err: err}
}

// labelled is an error of package stream told as package pkg's own.
type labelled struct {
	pkg string
	err error
}

func (e *labelled) Error() string {
	return e.pkg + ": " + strings.TrimPrefix(e.err.Error(), "stream: ")
}

func (e *labelled) Unwrap() error { return e.err }

// SendCause is what a stream that a failed Send left broken keeps as the
// cause it reports to every later Send. A context's error is only
// described: wrapped, it would make a later Send's error read as that
// Send's own cancellation or timeout (and a caller that retries on timeouts
// retry forever). Any other error is kept as it is.
func SendCause(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("an earlier send was interrupted: %v", err)
	}
	return err
}
