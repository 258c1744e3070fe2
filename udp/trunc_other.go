//go:build !unix

package udp

// msgTrunc is zero where recvmsg reports no truncation flag; there the
// system's own error (WSAEMSGSIZE on Windows) reports a datagram that did
// not fit.
const msgTrunc = 0
