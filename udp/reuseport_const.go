//go:build (linux && !386 && !amd64 && !arm) || darwin || dragonfly || freebsd || netbsd || openbsd || aix

package udp

import "syscall"

// soReusePort is SO_REUSEPORT.
const soReusePort = syscall.SO_REUSEPORT
