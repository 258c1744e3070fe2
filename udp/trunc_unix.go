//go:build unix

package udp

import "syscall"

// msgTrunc is the recvmsg flag saying a datagram did not fit.
const msgTrunc = syscall.MSG_TRUNC
