//go:build !linux

package unix

import "syscall"

// presetMode returns nil: other systems create a socket file with the
// umask's bits whatever the socket's own are, so WithMode is applied by
// bindPath's chmod alone.
func presetMode(*config) func(network, address string, c syscall.RawConn) error {
	return nil
}
