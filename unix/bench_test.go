package unix_test

import (
	"net"
	"testing"

	"github.com/anyio-go/anyio/internal/sockettest"
)

// BenchmarkBulk sends 64 KiB at a time one way: unix.Stream against the
// *net.UnixConn it wraps.
func BenchmarkBulk(b *testing.B) {
	const chunk = 64 << 10
	b.Run("unix", func(b *testing.B) {
		path := sockPath(b)
		c, s := pair(b, listen(b, path), path)
		sockettest.BulkStream(b, c, s, chunk)
	})
	b.Run("net", func(b *testing.B) {
		path := sockPath(b)
		ln, err := net.Listen("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		cc, err := net.Dial("unix", path)
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		sc, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer sc.Close()
		sockettest.BulkConn(b, cc.(*net.UnixConn), sc.(*net.UnixConn), chunk)
	})
}
