//go:build unix

package unix_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/anyio-go/anyio/unix"
)

// SendFDs hands an open file to the peer process (here, the same one).
func ExampleStream_SendFDs() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fd.sock")
	os.WriteFile(filepath.Join(dir, "note.txt"), []byte("passed by descriptor"), 0o600)

	ctx := context.Background()
	l, err := unix.Listen(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	c, err := unix.Connect(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	f, err := os.Open(filepath.Join(dir, "note.txt"))
	if err != nil {
		log.Fatal(err)
	}
	err = c.SendFDs(ctx, []byte("f"), f)
	f.Close() // the peer has its own descriptor now
	if err != nil {
		log.Fatal(err)
	}

	_, files, err := s.ReceiveFDs(ctx, make([]byte, 1), 1)
	if err != nil {
		log.Fatal(err)
	}
	defer files[0].Close()
	text, _ := io.ReadAll(files[0])
	fmt.Println(string(text))
	// Output: passed by descriptor
}
