package unix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// sunPathLen is the size of sockaddr_un's sun_path on this system.
var sunPathLen = func() int {
	switch runtime.GOOS {
	case "linux", "android":
		return 108
	}
	return 104
}()

// isAbstract reports whether path names a Linux abstract socket: a leading
// '@' stands for the NUL byte that starts such names.
func isAbstract(path string) bool {
	return len(path) > 0 && path[0] == '@' && (runtime.GOOS == "linux" || runtime.GOOS == "android")
}

// checkPath reports what is wrong with path as a socket address, if
// anything. A path name needs room for its terminating NUL; an abstract
// name does not.
func checkPath(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	if strings.IndexByte(path, 0) >= 0 {
		return errors.New("path contains a NUL byte")
	}
	limit := sunPathLen - 1
	if isAbstract(path) {
		limit = sunPathLen
	}
	if len(path) > limit {
		return fmt.Errorf("path is %d bytes, longer than the %d a socket address holds: %w",
			len(path), limit, syscall.ENAMETOOLONG)
	}
	return nil
}

// socketFile is a socket file a listener created, remembered so that Close
// removes that file and not another one made at the same path since.
type socketFile struct {
	path string
	info os.FileInfo
}

// bindPath runs bind, which binds a socket of the given network ("unix",
// "unixgram") to path. When path is taken by a stale socket file (one that
// nobody is bound to any more) it removes the file and binds again; anything
// else at path is an error saying what is there. It applies the file mode
// option (on Linux the socket already carries it, see presetMode) and
// returns the file made, nil for an abstract name. When bind succeeded but
// a later step failed, it returns the file with the error.
func bindPath(ctx context.Context, cfg *config, network, path string, bind func() error) (*socketFile, error) {
	err := bind()
	if err != nil && !isAbstract(path) && errors.Is(err, syscall.EADDRINUSE) {
		if serr := removeStale(ctx, network, path, err); serr != nil {
			return nil, serr
		}
		err = bind()
	}
	if err != nil || isAbstract(path) {
		return nil, err
	}
	if bindHook != nil {
		bindHook(path)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Type() != os.ModeSocket {
		// Replaced between bind and Lstat: not ours to chmod or remove.
		return nil, fmt.Errorf("socket file replaced by %s right after bind", describeMode(info.Mode()))
	}
	f := &socketFile{path: path, info: info}
	// Chmod follows a symbolic link that may have replaced the socket
	// since; on Linux the mode is usually right already (see presetMode)
	// and the call is skipped.
	if cfg.modeSet && info.Mode().Perm() != cfg.mode {
		if err := os.Chmod(path, cfg.mode); err != nil {
			return f, err // the caller unbinds and removes f
		}
	}
	return f, nil
}

// bindHook, when set (by tests only), runs after a successful bind to a
// path, before the file mode option is applied.
var bindHook func(path string)

// removeStale removes the socket file at path if nobody is bound to it.
// bindErr is the error the bind got; it is wrapped by the errors returned
// when the path is really in use.
func removeStale(ctx context.Context, network, path string, bindErr error) error {
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // gone meanwhile: just bind again
	}
	if err != nil {
		return err
	}
	if info.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("path exists and is not a socket (%s): %w", describeMode(info.Mode()), bindErr)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, path)
	if err == nil {
		c.Close()
		return fmt.Errorf("another socket is listening there: %w", bindErr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// Something is there that answers oddly (a socket of another
		// type, a full backlog): leave it alone.
		return fmt.Errorf("path is in use (%v): %w", err, bindErr)
	}
	// Another process (or Listen) may have replaced the stale file with
	// its own live socket while the probe ran: remove only the file that
	// was probed. What is left is the gap between two system calls; code
	// that starts several listeners on one path at once must take turns.
	// An inode number can be reused at once, so the modification time
	// (set by bind, in nanoseconds) must match too.
	again, err := os.Lstat(path)
	if err != nil || !os.SameFile(info, again) || !info.ModTime().Equal(again.ModTime()) {
		return nil // gone or replaced: bind again, which tells which
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket file: %w", err)
	}
	return nil
}

// describeMode names a file type for error messages.
func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a " + m.Type().String() + " file"
}

// remove deletes the socket file if it is still the one that was created.
// It is safe on a nil *socketFile (abstract names).
func (f *socketFile) remove() error {
	if f == nil {
		return nil
	}
	info, err := os.Lstat(f.path)
	if err != nil || !os.SameFile(info, f.info) {
		return nil // removed or replaced by someone else: not ours any more
	}
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
