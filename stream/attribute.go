package stream

import (
	"fmt"
	"net"
)

// Attribute is a typed key for information a stream, listener or wrapper can
// report about itself: addresses, the raw socket, TLS state and so on. Keys
// are compared by pointer identity, so each NewAttribute call makes a
// distinct attribute even when names repeat.
type Attribute[T any] struct {
	name string
}

// NewAttribute returns a new attribute key carrying values of type T. The name
// is used in error messages only.
func NewAttribute[T any](name string) *Attribute[T] {
	return &Attribute[T]{name: name}
}

// String returns the attribute's name.
func (a *Attribute[T]) String() string { return a.name }

// AttributeProvider is implemented by everything that can answer attribute
// queries. Extra is called with the *Attribute[T] pointer itself as key and
// returns a value of type T. A wrapper answers its own attributes and forwards
// every other key to what it wraps (see ForwardExtra), so information flows
// outward through any stack.
type AttributeProvider interface {
	Extra(key any) (value any, ok bool)
}

// ForwardExtra asks from for key if from is an AttributeProvider. Wrappers
// use it to forward the attributes they do not answer themselves.
func ForwardExtra(from any, key any) (any, bool) {
	if p, ok := from.(AttributeProvider); ok && p != nil {
		return p.Extra(key)
	}
	return nil, false
}

// Extra returns the value of attribute a reported by from. It returns an error
// wrapping ErrAttributeNotFound and naming a when from is nil, provides no
// attributes, does not know a, or answers with a value of the wrong type.
func Extra[T any](from any, a *Attribute[T]) (T, error) {
	v, ok := ForwardExtra(from, a)
	if ok {
		if t, ok := v.(T); ok {
			return t, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("%w: %s", ErrAttributeNotFound, a.name)
}

// ExtraOr returns the value of attribute a reported by from, or def when it
// is not available.
func ExtraOr[T any](from any, a *Attribute[T], def T) T {
	if v, ok := ForwardExtra(from, a); ok {
		if t, ok := v.(T); ok {
			return t
		}
	}
	return def
}

// Standard attributes answered by the transports in this module.
var (
	// LocalAddr is the local network address of a connection or listener.
	LocalAddr = NewAttribute[net.Addr]("local address")
	// RemoteAddr is the address of the peer.
	RemoteAddr = NewAttribute[net.Addr]("remote address")
	// LocalPort is the local port number (IP transports only).
	LocalPort = NewAttribute[int]("local port")
	// RemotePort is the peer's port number (IP transports only).
	RemotePort = NewAttribute[int]("remote port")
	// RawSocket is the OS-level socket under the stack, where there is one.
	RawSocket = NewAttribute[net.Conn]("raw socket")
)
