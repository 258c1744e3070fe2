//go:build linux && (386 || amd64 || arm)

package udp

// soReusePort is SO_REUSEPORT, which the frozen syscall package does not
// define for these ports.
const soReusePort = 0xf
