package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// lingerTimeout bounds how long the connection of a client that leaves is
// kept open to deliver its last lines and to read what it still sends.
const lingerTimeout = 2 * time.Second

// maxNickLength is the longest nickname a client may choose, in characters.
const maxNickLength = 32

// Lines the server sends on its own.
const (
	promptNick = "* welcome to the chat; what is your nickname?"
	farewell   = "* bye"
)

// tooLongNotice tells a client why it is disconnected after a line the
// codec could not frame.
var tooLongNotice = fmt.Sprintf("* line longer than %d bytes; closing the connection", codec.DefaultMaxLineLength)

var (
	errQuit          = errors.New("chat: client quit")
	errLingerExpired = errors.New("chat: linger time expired")
	errSendFailed    = errors.New("chat: sending to the client failed")
)

// session serves one client connection: it reads the client's lines and
// hands them to the hub, while a writer goroutine sends the client what the
// hub queues in its outbox. Only the writer sends on lines once the client
// has joined.
type session struct {
	serverCtx context.Context // ends when the server shuts down
	conn      stream.ByteStream
	lines     stream.ObjectStream[string]
	toHub     *memory.SendStream[message]
	peer      net.Addr
	log       *slog.Logger
}

// runSession serves conn until the client leaves, is disconnected, or ctx
// ends. hub is the hub's send end; the session uses a clone of it, so the
// hub runs for as long as any session does.
func runSession(ctx context.Context, conn stream.ByteStream, hub *memory.SendStream[message], outboxSize int, log *slog.Logger) {
	toHub, err := hub.Clone()
	if err != nil {
		log.Error("hub unavailable", "error", err)
		return
	}
	defer toHub.Close()
	s := &session{
		serverCtx: ctx,
		conn:      conn,
		lines:     codec.Lines(conn),
		toHub:     toHub,
		peer:      stream.ExtraOr[net.Addr](conn, stream.RemoteAddr, nil),
		log:       log,
	}
	// The hub cancels this context to disconnect a client that is too slow.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer s.abortIfTooSlow(ctx)

	log.Debug("connected", "peer", s.peer)
	nick, err := s.askNick(ctx)
	if err != nil {
		s.endBeforeJoin(ctx, err)
		return
	}
	s.chat(ctx, cancel, nick, outboxSize)
}

// askNick prompts the client for a nickname until it gives a valid one.
// It returns errQuit when the client sends /quit instead.
func (s *session) askNick(ctx context.Context) (string, error) {
	if err := s.lines.Send(ctx, promptNick); err != nil {
		return "", err
	}
	for {
		line, err := s.lines.Receive(ctx)
		if err != nil {
			return "", err
		}
		line = strings.TrimSpace(line)
		if line == "/quit" {
			return "", errQuit
		}
		nick := line
		if rest, ok := strings.CutPrefix(line, "/nick "); ok {
			nick = strings.TrimSpace(rest)
		}
		err = checkNick(nick)
		if err == nil {
			return nick, nil
		}
		if err := s.lines.Send(ctx, "* "+err.Error()+"; what is your nickname?"); err != nil {
			return "", err
		}
	}
}

// endBeforeJoin ends a session that failed to join with err. A client that
// quit, closed its side or sent a line too long is told goodbye (or why)
// and its connection lingers.
func (s *session) endBeforeJoin(ctx context.Context, err error) {
	var last string
	switch {
	case err == io.EOF:
	case errors.Is(err, errQuit):
		last = farewell
	case errors.Is(err, codec.ErrLineTooLong):
		last = tooLongNotice
	default:
		s.log.Debug("connection ended", "peer", s.peer, "error", err)
		return
	}
	if last != "" && s.lines.Send(ctx, last) != nil {
		return
	}
	_ = s.lines.CloseWrite()
	ctx, cancel := context.WithTimeout(ctx, lingerTimeout)
	defer cancel()
	s.drain(ctx)
}

// chat joins the hub as nick and relays until the client leaves or ctx
// ends; cancel cancels ctx.
func (s *session) chat(ctx context.Context, cancel context.CancelCauseFunc, nick string, outboxSize int) {
	out, outbox := memory.NewObjectStream[string](outboxSize)
	m := &member{peer: s.peer, out: out, kick: cancel}
	if err := s.toHub.Send(ctx, message{kind: kindJoin, from: m, text: nick}); err != nil {
		_ = out.Close()
		_ = outbox.Close()
		return
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.write(ctx, cancel, outbox)
	}()

	bye := s.read(ctx, m)
	// The hub runs while this session holds a send end and never blocks,
	// so the leave message gets through even after ctx has ended.
	_ = s.toHub.Send(context.WithoutCancel(ctx), bye)
	if ctx.Err() != nil {
		<-writerDone
		return
	}
	// The hub closes the outbox after the farewell, so the writer ends once
	// the client has everything; then read what the client still sends, so
	// that closing does not reset the connection before it read it all.
	timer := time.AfterFunc(lingerTimeout, func() { cancel(errLingerExpired) })
	defer timer.Stop()
	<-writerDone
	s.drain(ctx)
}

// read hands the client's lines to the hub until the client leaves or ctx
// ends, and returns the leave message to send then.
func (s *session) read(ctx context.Context, m *member) message {
	for {
		line, err := s.lines.Receive(ctx)
		if err != nil {
			return s.leaveAfter(ctx, m, err)
		}
		msg, ok := parse(m, line)
		if !ok {
			continue
		}
		if msg.kind == kindLeave {
			return msg
		}
		if err := s.toHub.Send(ctx, msg); err != nil {
			return s.leaveAfter(ctx, m, err)
		}
	}
}

// leaveAfter returns the leave message for a session whose reading failed
// with err.
func (s *session) leaveAfter(ctx context.Context, m *member, err error) message {
	bye := message{kind: kindLeave, from: m}
	switch {
	case err == io.EOF:
	case errors.Is(err, codec.ErrLineTooLong):
		bye.text, bye.reason = tooLongNotice, "line too long"
	case s.serverCtx.Err() != nil:
		bye.reason = "server shutting down"
	default:
		s.log.Debug("connection ended", "peer", s.peer, "error", err, "cause", context.Cause(ctx))
		bye.reason = "connection lost"
	}
	return bye
}

// parse turns a line from the client into a message for the hub; ok is
// false for an empty line, which needs none. /quit becomes a leave message.
func parse(m *member, line string) (msg message, ok bool) {
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return message{}, false
	}
	if !strings.HasPrefix(line, "/") {
		return message{kind: kindSay, from: m, text: line}, true
	}
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/quit":
		return message{kind: kindLeave, from: m, text: farewell}, true
	case "/who":
		return message{kind: kindWho, from: m}, true
	case "/nick":
		if err := checkNick(arg); err != nil {
			return message{kind: kindNotify, from: m, text: "* " + err.Error()}, true
		}
		return message{kind: kindRename, from: m, text: arg}, true
	}
	return message{kind: kindNotify, from: m, text: "* unknown command; try /nick NAME, /who or /quit"}, true
}

// write sends the client every line the hub puts in its outbox, in order,
// and half-closes the connection once the hub has closed the outbox. When a
// send fails it cancels the session.
func (s *session) write(ctx context.Context, cancel context.CancelCauseFunc, outbox *memory.ReceiveStream[string]) {
	defer outbox.Close()
	for line, err := range stream.All(ctx, outbox) {
		if err == nil {
			err = s.lines.Send(ctx, line)
		}
		if err != nil {
			cancel(fmt.Errorf("%w: %w", errSendFailed, err))
			return
		}
	}
	_ = s.lines.CloseWrite()
}

// aborter is implemented by transports that can end a connection with a
// reset, such as *tcp.Stream.
type aborter interface{ Abort() error }

// abortIfTooSlow resets the connection of a client the hub disconnected as
// too slow, where the transport can, so that the client sees an error rather
// than an orderly end after a line cut short.
func (s *session) abortIfTooSlow(ctx context.Context) {
	if a, ok := s.conn.(aborter); ok && errors.Is(context.Cause(ctx), errTooSlow) {
		_ = a.Abort()
	}
}

// drain reads and discards what the client sends until it closes its side
// or ctx ends.
func (s *session) drain(ctx context.Context) {
	buf := make([]byte, 4096)
	for {
		if _, err := s.conn.Receive(ctx, buf); err != nil {
			return
		}
	}
}

// checkNick reports whether nick is acceptable: 1 to maxNickLength letters,
// digits, '-' or '_'.
func checkNick(nick string) error {
	valid := nick != "" && utf8.RuneCountInString(nick) <= maxNickLength
	for _, r := range nick {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			valid = false
		}
	}
	if !valid {
		return fmt.Errorf("invalid nickname: use 1 to %d letters, digits, '-' or '_'", maxNickLength)
	}
	return nil
}
