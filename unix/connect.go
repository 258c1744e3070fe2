package unix

import (
	"context"
	"fmt"
	"net"

	"github.com/anyio-go/anyio/stream"
)

// Connect connects to the Unix stream socket at path ('@' first for a Linux
// abstract name). A cancelled ctx ends the attempt with an error for which
// errors.Is(err, ctx.Err()) holds. Errors name the path and say what was
// wrong: no such file, nobody listening (syscall.ECONNREFUSED), a path too
// long for a socket address (syscall.ENAMETOOLONG).
func Connect(ctx context.Context, path string) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("unix: connect %s: %w", path, err)
	}
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("unix: connect %s: %w", path, err)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("unix: connect %s: %w", path, err)
	}
	return newStream(c.(*net.UnixConn)), nil
}

// Connector connects to a fixed path. It implements
// stream.Connector[stream.ByteStream]. The zero value has no path; its
// Connect fails.
type Connector struct {
	// Path is handed to Connect.
	Path string
}

// Connect calls Connect(ctx, c.Path). It returns a *Stream.
func (c Connector) Connect(ctx context.Context) (stream.ByteStream, error) {
	s, err := Connect(ctx, c.Path)
	if err != nil {
		return nil, err
	}
	return s, nil
}

var _ stream.Connector[stream.ByteStream] = Connector{}
