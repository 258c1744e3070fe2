package unix_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/unix"
)

// A server and a client on a Unix socket in a private directory.
func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echo.sock")

	ctx := context.Background()
	l, err := unix.Listen(ctx, path, unix.WithMode(0o600))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		s, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer s.Close()
		io.Copy(stream.Writer(ctx, s), stream.Reader(ctx, s)) // echo
	}()

	c, err := unix.Connect(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Send(ctx, []byte("over a unix socket"))
	c.CloseWrite()
	reply, _ := io.ReadAll(stream.Reader(ctx, c))
	fmt.Println(string(reply))
	// Output: over a unix socket
}
