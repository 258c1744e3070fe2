// Package exampletest runs the example servers in tests: in the test's own
// process (Start), or in a child process that is then stopped with SIGTERM
// (StartChild), and watches their log/slog output for the lines a test waits
// for.
package exampletest

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait for a log line: a line that does not come in
// time fails the test instead of hanging it.
const Timeout = 10 * time.Second

// ListeningRE matches the line a server logs once it listens; its submatch
// is the address.
var ListeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Log collects a server's log output. It is safe for concurrent use: the
// server writes while tests read.
type Log struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	closed  bool
	written chan struct{} // has a value after every Write or Close
}

// NewLog returns an empty log.
func NewLog() *Log { return &Log{written: make(chan struct{}, 1)} }

// Write appends p to the log; it never fails.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wake()
	return l.buf.Write(p)
}

// Close records that the server will write nothing more, so that Await
// fails at once instead of waiting in vain. Writes after Close are kept.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.wake()
	return nil
}

// wake tells a waiting Await to look again; l.mu is held.
func (l *Log) wake() {
	select {
	case l.written <- struct{}{}:
	default:
	}
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Await waits until the log matches re and returns the first submatch. It
// fails the test if the log is closed, or Timeout passes, first.
func (l *Log) Await(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(Timeout)
	for {
		l.mu.Lock()
		m, closed := re.FindSubmatch(l.buf.Bytes()), l.closed
		l.mu.Unlock()
		if m != nil {
			return string(m[1])
		}
		if closed {
			t.Fatalf("the server ended before its log matched %v:\n%s", re, l)
		}
		select {
		case <-l.written:
		case <-timeout:
			t.Fatalf("log never matched %v:\n%s", re, l)
		}
	}
}
