//go:build !unix

package unix

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// fdPassing returns why descriptors cannot be passed: this system has no
// SCM_RIGHTS.
func fdPassing() error {
	return fmt.Errorf("passing file descriptors is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// unixRights is never called here: fdPassing fails first.
func unixRights([]int) []byte { return nil }

// cmsgSpace is never called here: fdPassing fails first.
func cmsgSpace(int) int { return 0 }

// takeFiles is never called here: fdPassing fails first.
func takeFiles([]byte, int, int) ([]*os.File, error) { return nil, nil }
