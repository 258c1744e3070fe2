package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/internal/exampletest"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/tcp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// receiveTimeout bounds every wait for a line; a line that does not come
// in time fails the test instead of hanging it.
const receiveTimeout = 10 * time.Second

// startServer runs the server in this process on a free port, with args
// added; stop cancels it and returns run's error.
func startServer(t *testing.T, args ...string) (addr string, log *exampletest.Log, stop func() error) {
	t.Helper()
	s := exampletest.Start(t, run, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return s.Addr, s.Log, s.Stop
}

// client is a chat client made of the toolkit's own pieces.
type client struct {
	t     *testing.T
	conn  *tcp.Stream
	lines stream.ObjectStream[string]
}

// connect connects to the server and takes its prompt for a nickname.
func connect(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := tcp.Connect(context.Background(), addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, lines: codec.Lines(conn)}
	c.expect(promptNick)
	return c
}

// join connects and joins as nick, which must be free.
func join(t *testing.T, addr, nick string) *client {
	t.Helper()
	c := connect(t, addr)
	c.send(nick)
	line := c.next()
	require.True(t, strings.HasPrefix(line, "* welcome "+nick+"; online: "), "welcome line: %q", line)
	return c
}

func (c *client) send(line string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	require.NoError(c.t, c.lines.Send(ctx, line))
}

// next returns the next line from the server.
func (c *client) next() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	line, err := c.lines.Receive(ctx)
	require.NoError(c.t, err)
	return line
}

// expect requires the next line from the server to be want.
func (c *client) expect(want string) {
	c.t.Helper()
	require.Equal(c.t, want, c.next())
}

// expectEOF requires the server to have half-closed the connection after
// the lines received so far.
func (c *client) expectEOF() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	line, err := c.lines.Receive(ctx)
	require.ErrorIs(c.t, err, io.EOF, "received %q", line)
}

// readToEnd receives until the connection ends, which it must within
// receiveTimeout, and returns the lines and the error that ended it.
func (c *client) readToEnd() ([]string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	var lines []string
	for {
		line, err := c.lines.Receive(ctx)
		if err != nil {
			require.NoError(c.t, ctx.Err(), "the connection did not end")
			return lines, err
		}
		lines = append(lines, line)
	}
}

// requireEnded requires err to be the end of a connection the server
// closed: end of stream or, when the kernel reset it, a broken stream.
func requireEnded(t *testing.T, err error) {
	t.Helper()
	require.True(t, err == io.EOF || errors.Is(err, stream.ErrBroken), "connection ended with %v", err)
}

func TestChatRelaysLinesAndNotices(t *testing.T) {
	addr, _, _ := startServer(t)
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")
	carol := connect(t, addr)
	carol.send("carol")
	carol.expect("* welcome carol; online: alice, bob, carol")
	alice.expect("* carol joined")
	bob.expect("* carol joined")

	alice.send("hello, everyone")
	bob.expect("<alice> hello, everyone")
	carol.expect("<alice> hello, everyone")

	// Nobody gets their own lines back: alice's next line is bob's.
	// A "\r" before "\n" is dropped by the codec, a second one by the server.
	require.NoError(t, bob.conn.Send(context.Background(), []byte("hi alice\r\r\n")))
	alice.expect("<bob> hi alice")
	carol.expect("<bob> hi alice")

	carol.send("")
	carol.send("/who")
	carol.expect("* online: alice, bob, carol")
	carol.send("/dance")
	carol.expect("* unknown command; try /nick NAME, /who or /quit")

	bob.send("/nick robert")
	for _, c := range []*client{alice, bob, carol} {
		c.expect("* bob is now known as robert")
	}
	carol.send("/nick robert")
	carol.expect("* nickname robert is taken")
	carol.send("/nick no spaces")
	carol.expect("* invalid nickname: use 1 to 32 letters, digits, '-' or '_'")
	carol.send("/who")
	carol.expect("* online: alice, carol, robert")
	robert := bob

	robert.send("bye for now")
	alice.expect("<robert> bye for now")
	carol.expect("<robert> bye for now")
}

func TestChatNicknames(t *testing.T) {
	addr, _, _ := startServer(t)
	alice := join(t, addr, "alice")

	second := connect(t, addr)
	second.send("not valid!")
	second.expect("* invalid nickname: use 1 to 32 letters, digits, '-' or '_'; what is your nickname?")
	second.send(strings.Repeat("ß", maxNickLength+1))
	second.expect("* invalid nickname: use 1 to 32 letters, digits, '-' or '_'; what is your nickname?")
	second.send("/nick alice")
	second.expect("* welcome alice2; online: alice, alice2")
	alice.expect("* alice2 joined")

	third := connect(t, addr)
	third.send("  " + strings.Repeat("ß", maxNickLength))
	third.expect("* welcome " + strings.Repeat("ß", maxNickLength) + "; online: alice, alice2, " + strings.Repeat("ß", maxNickLength))
}

func TestChatLeaving(t *testing.T) {
	addr, log, _ := startServer(t)
	alice := join(t, addr, "alice")

	// /quit: the client is told goodbye and the connection ends.
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")
	bob.send("/quit")
	bob.expect(farewell)
	bob.expectEOF()
	alice.expect("* bob left")

	// Half-closing: the client still receives until the server ends too.
	carol := join(t, addr, "carol")
	alice.expect("* carol joined")
	alice.send("before you go")
	alice.send("/who") // its answer means the line above reached the hub
	alice.expect("* online: alice, carol")
	require.NoError(t, carol.lines.CloseWrite())
	carol.expect("<alice> before you go")
	carol.expectEOF()
	alice.expect("* carol left")

	// Closing abruptly.
	dave := join(t, addr, "dave")
	alice.expect("* dave joined")
	require.NoError(t, dave.conn.Close())
	alice.expect("* dave left")

	// Quitting before joining, and leaving without a nickname.
	eve := connect(t, addr)
	eve.send("/quit")
	eve.expect(farewell)
	eve.expectEOF()
	frank := connect(t, addr)
	require.NoError(t, frank.lines.CloseWrite())
	frank.expectEOF()

	alice.send("/who")
	alice.expect("* online: alice")
	require.Contains(t, log.String(), "msg=left nick=bob")
}

func TestChatOverlongLines(t *testing.T) {
	addr, log, _ := startServer(t)
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")

	// A line the codec cannot frame: alice is told and disconnected.
	long := strings.Repeat("x", codec.DefaultMaxLineLength+1) + "\n"
	require.NoError(t, alice.conn.Send(context.Background(), []byte(long)))
	alice.expect(tooLongNotice)
	alice.expectEOF()
	bob.expect("* alice left (line too long)")
	require.Contains(t, log.String(), `reason="line too long"`)

	// The server keeps serving the others.
	carol := join(t, addr, "carol")
	bob.expect("* carol joined")

	// A line that fits the codec but not once prefixed with the nickname
	// is refused, and bob stays connected.
	bob.send(strings.Repeat("y", codec.DefaultMaxLineLength))
	bob.expect(fmt.Sprintf("* line not sent: with your nickname it is longer than %d bytes", codec.DefaultMaxLineLength))
	longest := strings.Repeat("z", codec.DefaultMaxLineLength-len("<bob> "))
	bob.send(longest)
	carol.expect("<bob> " + longest)
	carol.send("still here")
	bob.expect("<carol> still here")

	// Before joining, too.
	dave := connect(t, addr)
	require.NoError(t, dave.conn.Send(context.Background(), []byte(long)))
	dave.expect(tooLongNotice)
	dave.expectEOF()
}

// TestChatSlowClientIsDisconnected floods the room while one client never
// reads: the others keep receiving every line promptly, and the slow client
// is disconnected once its socket and its outbox are full, having received
// every line up to then, in order.
func TestChatSlowClientIsDisconnected(t *testing.T) {
	addr, log, _ := startServer(t)
	flood := join(t, addr, "flood")
	fast := join(t, addr, "fast")
	flood.expect("* fast joined")
	slow := join(t, addr, "slow")
	flood.expect("* slow joined")
	fast.expect("* slow joined")
	slow.send("I send but never read")
	flood.expect("<slow> I send but never read")
	fast.expect("<slow> I send but never read")

	const kickNotice = "* slow was disconnected (too slow)"
	payload := strings.Repeat("x", 32<<10)
	var sent []string
	var worst time.Duration
	for kicked := false; !kicked; {
		require.Less(t, len(sent), 4000, "the slow client was never disconnected")
		line := fmt.Sprintf("%d %s", len(sent), payload)
		start := time.Now()
		flood.send(line)
		got := fast.next()
		if got == kickNotice {
			// The notice follows the line that overflowed the outbox.
			kicked = true
			got = fast.next()
		}
		require.Equal(t, "<flood> "+line, got)
		worst = max(worst, time.Since(start))
		sent = append(sent, "<flood> "+line)
	}
	t.Logf("%d lines of %d bytes before the slow client was disconnected; slowest relay %v", len(sent), len(payload), worst)
	require.Less(t, worst, 5*time.Second, "a line took too long to reach the fast client")
	require.Greater(t, len(sent), defaultOutboxSize, "the outbox held fewer lines than its size")
	flood.expect(kickNotice)
	fast.send("/who")
	fast.expect("* online: fast, flood")
	require.Contains(t, log.String(), "msg=\"disconnected slow client\" nick=slow")

	// The slow client's connection was reset: it reads what reached it
	// before, every line whole and in order, then the error.
	lines, err := slow.readToEnd()
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	require.NotEmpty(t, lines)
	require.Less(t, len(lines), len(sent), "the slow client cannot have got every line")
	for i, line := range lines {
		if line != sent[i] {
			t.Fatalf("line %d the slow client got is not line %d sent (%.20q...)", i, i, line)
		}
	}
}

// TestChatShutdownWithClientsConnected: stopping the server ends every
// connection, joined or not, and run returns nil with no goroutine left
// behind (goleak checks that in TestMain).
func TestChatShutdownWithClientsConnected(t *testing.T) {
	addr, log, stop := startServer(t)
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect("* bob joined")
	nameless := connect(t, addr)
	// A client that never reads, with lines queued for it.
	deaf := join(t, addr, "deaf")
	alice.expect("* deaf joined")
	bob.expect("* deaf joined")
	for i := range 10 {
		alice.send(fmt.Sprintf("line %d", i))
		bob.expect(fmt.Sprintf("<alice> line %d", i))
	}

	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(receiveTimeout):
		t.Fatal("run did not return after shutdown")
	}
	require.Contains(t, log.String(), "msg=stopped")
	for _, c := range []*client{alice, bob, nameless, deaf} {
		_, err := c.readToEnd()
		requireEnded(t, err)
	}
	_, err := tcp.Connect(context.Background(), addr)
	require.Error(t, err, "the listener is closed")
}

func TestRunRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	require.Error(t, run(ctx, []string{"-bogus"}, &out))
	require.ErrorContains(t, run(ctx, []string{"extra"}, &out), "unexpected arguments")
	require.ErrorContains(t, run(ctx, []string{"-buffer", "0"}, &out), "-buffer must be at least 1")

	taken, err := tcp.Listen(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	require.ErrorContains(t, run(ctx, []string{"-addr", taken.Addrs()[0].String()}, &out), "address already in use")
}

func TestHubOnlineListIsBounded(t *testing.T) {
	h := newHub(nil)
	for i := range 500 {
		nick := fmt.Sprintf("%03d%s", i, strings.Repeat("n", maxNickLength-3))
		h.members[nick] = &member{nick: nick}
	}
	list := h.online()
	require.True(t, strings.HasPrefix(list, "000"+strings.Repeat("n", maxNickLength-3)+", 001"), list)
	require.Regexp(t, `, \d{3}n+ and \d+ more$`, list)
	require.Less(t, len(list), 2*maxOnlineList)
}
