package unix

import "syscall"

// presetMode returns the ListenConfig.Control that gives a socket the
// permission bits of WithMode before it is bound, or nil without the
// option. Linux creates the socket file with the socket's own bits less the
// umask, so from its first instant the file grants no more than asked;
// bindPath's chmod then adds back any bits the umask took away. A system
// that refuses to change a socket's mode (a sandboxing kernel) is not an
// error: the file then gets the mode from that chmod alone, as on other
// systems.
func presetMode(cfg *config) func(network, address string, c syscall.RawConn) error {
	if !cfg.modeSet {
		return nil
	}
	mode := uint32(cfg.mode)
	return func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.Fchmod(int(fd), mode) })
	}
}
