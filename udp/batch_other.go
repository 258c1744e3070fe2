//go:build !linux

package udp

import "net"

// batcher holds nothing where the system has no recvmmsg and sendmmsg: the
// batch calls fall back to one system call per datagram.
type batcher struct{}

func (b *batcher) init(*net.UDPConn) error { return nil }

// readBatch receives one datagram into ps[0].
func (s *socket) readBatch(ps []Packet) (int, int, error) { return s.loopRead(ps) }

// writeBatch sends ps one datagram at a time.
func (s *socket) writeBatch(ps []Packet) (int, error) { return s.loopWrite(ps, s.connected) }
