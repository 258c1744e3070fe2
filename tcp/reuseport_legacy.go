//go:build linux && (386 || amd64 || arm)

package tcp

// soReusePort is SO_REUSEPORT, which the frozen syscall package lacks on
// these ports.
const soReusePort = 0xf
