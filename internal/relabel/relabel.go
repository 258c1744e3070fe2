// Package relabel tells the errors of a stream made by stream.FromNetConn as
// the errors of the transport that wraps it: "stream: send: ..." becomes
// "tcp: send: ...", while errors.Is and errors.As still see everything the
// original wraps.
package relabel

import (
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
