//go:build !unix

package unix

import (
	"errors"
	"fmt"
	"net"
	"runtime"
)

// msgTrunc would flag a truncated datagram; it never shows here, since this
// system's sockets refuse the "unixgram" network before any receive.
const msgTrunc = 0

// connectRaw fails: this system has no Unix datagram sockets to connect.
func connectRaw(*net.UnixConn, string) error {
	return fmt.Errorf("unix datagram sockets are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
