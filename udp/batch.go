package udp

import (
	"context"
	"fmt"
	"io"
	"net/netip"
)

// maxBatch bounds the datagrams handed to the system in one call; Linux
// caps recvmmsg and sendmmsg at this many (UIO_MAXIOV) anyway.
const maxBatch = 1024

// receiveBatch fills ps with at least one datagram; see Socket.ReceiveBatch.
func (s *socket) receiveBatch(ctx context.Context, ps []Packet) (int, error) {
	if len(ps) == 0 {
		// Nothing to wait for, so no turn to wait for either.
		return 0, emptyBatch(opReceiveBatch, ctx, s.closed.Load())
	}
	if err := s.beginReceive(ctx); err != nil {
		return 0, fail(opReceiveBatch, err)
	}
	defer s.recv.End()
	ps = ps[:min(len(ps), maxBatch)]
	for {
		n, truncated, err := s.readBatch(ps)
		if err == nil {
			if truncated >= 0 {
				return n, fmt.Errorf("udp: %s: packet %d: %w", opReceiveBatch, truncated, ErrTruncated)
			}
			return n, nil
		}
		if err = s.recv.Retry(ctx, err); err != nil {
			return 0, fail(opReceiveBatch, err)
		}
	}
}

// sendBatch sends every entry of ps in order; see Socket.SendBatch.
func (s *socket) sendBatch(ctx context.Context, ps []Packet) (int, error) {
	if s.closed.Load() || s.wclosed.Load() {
		return 0, fail(opSendBatch, errClosed)
	}
	if len(ps) == 0 {
		return 0, emptyBatch(opSendBatch, ctx, false)
	}
	if !s.connected {
		for i := range ps {
			if !ps[i].Addr.IsValid() {
				return 0, fmt.Errorf("udp: %s: packet %d: invalid destination address %v", opSendBatch, i, ps[i].Addr)
			}
		}
	}
	if err := s.beginSend(ctx); err != nil {
		return 0, fail(opSendBatch, err)
	}
	defer s.send.End()
	sent := 0
	for sent < len(ps) {
		n, err := s.writeBatch(ps[sent:min(len(ps), sent+maxBatch)])
		sent += n
		if err == nil && n == 0 {
			err = io.ErrShortWrite // never expected; guards against a spin
		}
		if err != nil {
			if err = s.send.Retry(ctx, err); err != nil {
				return sent, fail(opSendBatch, err)
			}
		}
	}
	return sent, nil
}

// emptyBatch is the outcome of a batch call with no entries: the error of a
// closed socket or an ended ctx, else nil.
func emptyBatch(op string, ctx context.Context, closed bool) error {
	if closed {
		return fail(op, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return fail(op, err)
	}
	return nil
}

// loopRead is the portable ReceiveBatch: one datagram per call, into ps[0].
// It returns the count, the index of the first truncated entry (or -1) and
// the system's error.
func (s *socket) loopRead(ps []Packet) (int, int, error) {
	d := ps[0].Data[:cap(ps[0].Data)]
	n, _, flags, from, err := s.conn.ReadMsgUDPAddrPort(d, nil)
	if err != nil {
		return 0, -1, err
	}
	ps[0].Data = d[:n]
	ps[0].Addr = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if flags&msgTrunc != 0 {
		return 1, 0, nil
	}
	return 1, -1, nil
}

// loopWrite is the portable SendBatch: one system call per datagram. It
// returns how many were sent before the first error.
func (s *socket) loopWrite(ps []Packet, connected bool) (int, error) {
	for i := range ps {
		var err error
		if connected {
			_, err = s.conn.Write(ps[i].Data)
		} else {
			_, err = s.conn.WriteToUDPAddrPort(ps[i].Data, ps[i].Addr)
		}
		if err != nil {
			return i, err
		}
	}
	return len(ps), nil
}
