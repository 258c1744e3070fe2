package quic

import (
	"net"
	"sync"

	quicgo "github.com/quic-go/quic-go"
)

// socket is a UDP socket with the quic-go Transport that runs on it. A
// client connection owns one alone; a Listener shares its socket with the
// connections it accepted. The socket is closed when its last user lets go,
// so that connections outlive the Listener that accepted them, as TCP
// connections do.
type socket struct {
	tr *quicgo.Transport
	pc *net.UDPConn

	mu    sync.Mutex // guards users
	users int        // 0 once closed
}

// newSocket returns a socket over pc with one user, the caller.
func newSocket(pc *net.UDPConn) *socket {
	return &socket{tr: &quicgo.Transport{Conn: pc}, pc: pc, users: 1}
}

// hold adds a user, unless the socket is already closed.
func (s *socket) hold() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		return false
	}
	s.users++
	return true
}

// release drops a user; the last one closes the Transport (whose goroutines
// have ended when Close returns) and then the UDP socket, so that the port is
// free again.
func (s *socket) release() {
	s.mu.Lock()
	s.users--
	last := s.users == 0
	s.mu.Unlock()
	if last {
		_ = s.tr.Close()
		_ = s.pc.Close()
	}
}
