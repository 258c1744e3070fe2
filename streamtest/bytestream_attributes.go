package streamtest

import (
	"errors"
	"net"
	"net/netip"

	"github.com/anyio-go/anyio/stream"
)

// unknownAttribute is an attribute no stream provides.
var unknownAttribute = stream.NewAttribute[int]("streamtest: an attribute nobody provides")

// checkAttributes: an attribute a stream does not provide is reported as
// stream.ErrAttributeNotFound, and where both ends report addresses, each
// end's local address is the other's remote one.
func checkAttributes(e *byteEnv) {
	a, b := e.pair()
	for _, end := range []stream.ByteStream{a, b} {
		if v, ok := stream.ForwardExtra(end, unknownAttribute); ok {
			e.t.Errorf("Extra of an attribute nobody provides answered %v; it must answer (nil, false)", v)
		}
		if v, err := stream.Extra(end, unknownAttribute); !errors.Is(err, stream.ErrAttributeNotFound) {
			e.t.Errorf("stream.Extra of an attribute nobody provides: got (%v, %v), want an error matching stream.ErrAttributeNotFound", v, err)
		}
	}
	for _, ends := range [][2]stream.ByteStream{{a, b}, {b, a}} {
		local, err := stream.Extra(ends[0], stream.LocalAddr)
		if err != nil || !named(local) {
			continue
		}
		remote, err := stream.Extra(ends[1], stream.RemoteAddr)
		if err != nil || !named(remote) {
			continue
		}
		if !sameAddr(local, remote) {
			e.t.Errorf("one end's LocalAddr is %v, but its peer's RemoteAddr is %v", local, remote)
		}
	}
}

// sameAddr reports whether a local address and the peer's view of it name
// the same endpoint. An IP address bound to the unspecified address (a
// datagram socket that was never connected) matches any host with the same
// port.
func sameAddr(local, remote net.Addr) bool {
	l, lerr := netip.ParseAddrPort(local.String())
	r, rerr := netip.ParseAddrPort(remote.String())
	if lerr != nil || rerr != nil {
		return local.String() == remote.String()
	}
	if l.Port() != r.Port() {
		return false
	}
	la, ra := l.Addr().Unmap(), r.Addr().Unmap()
	return la == ra || la.IsUnspecified() || ra.IsUnspecified()
}

// named reports whether a is an address with a name to compare (an unbound
// Unix socket has none).
func named(a net.Addr) bool {
	if a == nil {
		return false
	}
	s := a.String()
	return s != "" && s != "<nil>" && s != "@"
}
