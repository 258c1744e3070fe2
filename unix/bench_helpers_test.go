package unix_test

import (
	"os"
	"syscall"
	"testing"
)

func devNull(b *testing.B) *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func unixRights(f *os.File) []byte { return syscall.UnixRights(int(f.Fd())) }

func closeRights(b *testing.B, oob []byte) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		b.Fatal(err)
	}
	for i := range msgs {
		fds, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			b.Fatal(err)
		}
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
}
