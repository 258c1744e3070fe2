package unix

import "os"

// Option configures Listen and the other calls that create a socket file.
// Each option says which calls it affects; the others ignore it.
type Option func(*config)

// config is the set of options one call runs with.
type config struct {
	mode      os.FileMode
	modeSet   bool
	localPath string // WithLocalPath; ConnectDatagram only
}

// newConfig applies opts over the defaults.
func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithMode sets the permission bits of the socket file a call creates
// (Listen, and the datagram sockets bound to a path), which decide who may
// connect to it. Without it the file gets the process's umask applied to
// 0777, as bind(2) leaves it. Abstract names (a leading '@') have no file
// and ignore it.
//
// On Linux the file never grants more than mode, not even between bind and
// the call's return: the socket is given mode before it is bound, the file
// is created with mode less the umask, and the bits the umask removed are
// added right after. Other systems (and Linux sandboxes that refuse to
// change a socket's mode) create the file with the umask's bits and set
// mode right after bind, so a peer the umask lets in may connect in
// between; put the socket in a directory only the intended peers can enter
// when that matters.
func WithMode(mode os.FileMode) Option {
	return func(c *config) {
		c.mode = mode.Perm()
		c.modeSet = true
	}
}
