//go:build unix

package unix

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// fdPassing returns nil: Unix systems pass descriptors with SCM_RIGHTS.
func fdPassing() error { return nil }

// unixRights encodes fds as an SCM_RIGHTS control message.
func unixRights(fds []int) []byte { return syscall.UnixRights(fds...) }

// cmsgSpace is the size of a control message carrying n bytes of data.
func cmsgSpace(n int) int { return syscall.CmsgSpace(n) }

// takeFiles turns the descriptors in a control message into files. When
// more than maxFDs arrived, or the kernel truncated the message, it closes
// them all and says so.
func takeFiles(oob []byte, flags, maxFDs int) ([]*os.File, error) {
	if len(oob) == 0 && flags&syscall.MSG_CTRUNC == 0 {
		return nil, nil
	}
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("bad control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != syscall.SOL_SOCKET || msgs[i].Header.Type != syscall.SCM_RIGHTS {
			continue
		}
		rights, err := syscall.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, rights...)
		}
	}
	if flags&syscall.MSG_CTRUNC != 0 || len(fds) > maxFDs {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("%w (at most %d; all were closed)", ErrTooManyFDs, maxFDs)
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), "received fd "+strconv.Itoa(fd))
	}
	return files, nil
}
