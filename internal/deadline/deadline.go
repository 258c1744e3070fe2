// Package deadline makes blocking calls on sockets end when a
// context.Context ends, without a goroutine per call: a context.AfterFunc
// moves the socket's deadline into the past, which wakes the call inside the
// kernel, and the call then reports the context's error.
//
// A socket deadline belongs to the whole socket (or to one direction of it),
// not to one call, so the calls that share it take turns. Direction does
// this for one direction of a connection or datagram socket, Acceptor for a
// listener's Accept.
package deadline

import "time"

// Past is a deadline that has already expired: setting it wakes every call
// blocked on that side of the socket at once.
var Past = time.Unix(1, 0)
