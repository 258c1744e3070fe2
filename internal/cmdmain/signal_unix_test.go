//go:build unix

package cmdmain

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUntilSignalledEndsContextOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			err := UntilSignalled(nil, io.Discard, func(ctx context.Context, _ []string, _ io.Writer) error {
				require.NoError(t, syscall.Kill(os.Getpid(), sig))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(10 * time.Second):
					return errors.New("the signal did not end the context")
				}
			})
			require.NoError(t, err)
		})
	}
}
