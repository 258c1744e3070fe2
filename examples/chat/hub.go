package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// kind says what a message asks of the hub.
type kind int

const (
	kindJoin   kind = iota // from joins under the nickname in text
	kindSay                // relay text to everyone else
	kindRename             // change from's nickname to text
	kindWho                // tell from who is online
	kindNotify             // tell from the notice in text
	kindLeave              // from leaves; text is its farewell, reason tells the others why
)

// message is what a session sends to the hub.
type message struct {
	kind   kind
	from   *member
	text   string
	reason string
}

// errTooSlow is the cause a member's session is cancelled with when its
// outbox overflows.
var errTooSlow = errors.New("chat: client too slow: outbox full")

// member is one client as the hub sees it. The session creates it and hands
// it over with its join message; from then on only the hub goroutine touches
// nick and out.
type member struct {
	nick string
	peer net.Addr
	// out is the send end of the member's outbox; the session's writer
	// receives from the other end. The hub closes it when the member leaves.
	out *memory.SendStream[string]
	// kick cancels the member's session.
	kick context.CancelCauseFunc
}

// hub owns the members and relays between them. All of its state belongs
// to the goroutine running run.
type hub struct {
	log     *slog.Logger
	members map[string]*member // by nickname
	// dropped are members disconnected while delivering, whose departure
	// the others have yet to hear about.
	dropped []*member
}

func newHub(log *slog.Logger) *hub {
	return &hub{log: log, members: make(map[string]*member)}
}

// run handles messages until every send end of inbox is closed, then
// closes the outboxes of the members left and inbox itself.
func (h *hub) run(inbox *memory.ReceiveStream[message]) {
	defer inbox.Close()
	// The hub stops only at end of stream, when every session is gone, so
	// it receives without a deadline.
	for msg, err := range stream.All(context.Background(), inbox) {
		if err != nil {
			h.log.Error("hub stopped", "error", err)
			break
		}
		h.handle(msg)
		h.announceDropped()
	}
	for _, m := range h.members {
		_ = m.out.Close()
	}
}

// handle carries out one message. Messages from a member that is no longer
// in the hub (one dropped as too slow) are ignored, except its join.
func (h *hub) handle(msg message) {
	m := msg.from
	if msg.kind != kindJoin && h.members[m.nick] != m {
		return
	}
	switch msg.kind {
	case kindJoin:
		h.join(m, msg.text)
	case kindSay:
		h.say(m, msg.text)
	case kindRename:
		h.rename(m, msg.text)
	case kindWho:
		h.deliver(m, "* online: "+h.online())
	case kindNotify:
		h.deliver(m, msg.text)
	case kindLeave:
		h.leave(m, msg.text, msg.reason)
	}
}

func (h *hub) join(m *member, nick string) {
	m.nick = h.freeNick(nick)
	h.members[m.nick] = m
	h.log.Info("joined", "nick", m.nick, "peer", m.peer)
	h.deliver(m, fmt.Sprintf("* welcome %s; online: %s", m.nick, h.online()))
	h.broadcast(m, "* "+m.nick+" joined")
}

// say relays text from m to the others, unless the relayed line would be
// too long for a client to receive.
func (h *hub) say(m *member, text string) {
	line := "<" + m.nick + "> " + text
	if len(line) > codec.DefaultMaxLineLength {
		h.deliver(m, fmt.Sprintf("* line not sent: with your nickname it is longer than %d bytes", codec.DefaultMaxLineLength))
		return
	}
	h.broadcast(m, line)
}

func (h *hub) rename(m *member, nick string) {
	if nick == m.nick {
		return
	}
	if _, taken := h.members[nick]; taken {
		h.deliver(m, fmt.Sprintf("* nickname %s is taken", nick))
		return
	}
	old := m.nick
	delete(h.members, old)
	m.nick = nick
	h.members[nick] = m
	h.log.Info("renamed", "from", old, "to", nick, "peer", m.peer)
	h.broadcast(nil, fmt.Sprintf("* %s is now known as %s", old, nick))
}

// leave removes m, tells it farewell (if any) and the others that it left.
func (h *hub) leave(m *member, farewell, reason string) {
	h.remove(m)
	if farewell != "" {
		// Best effort: a member that is leaving is not disconnected for
		// failing to take its last line.
		_ = m.out.TrySend(farewell)
	}
	_ = m.out.Close()
	h.log.Info("left", "nick", m.nick, "peer", m.peer, "reason", reason)
	notice := "* " + m.nick + " left"
	if reason != "" {
		notice += " (" + reason + ")"
	}
	h.broadcast(nil, notice)
}

func (h *hub) remove(m *member) {
	delete(h.members, m.nick)
}

// broadcast delivers line to every member except skip (nil for none).
func (h *hub) broadcast(skip *member, line string) {
	for _, m := range h.members {
		if m != skip {
			h.deliver(m, line)
		}
	}
}

// deliver queues line in m's outbox without waiting. A full outbox means
// that m does not keep up, and m is disconnected: its session is cancelled,
// its outbox closed, and the others hear of it once the current message is
// handled. A closed outbox (the session is ending and its leave message is
// on the way) drops line.
func (h *hub) deliver(m *member, line string) {
	err := m.out.TrySend(line)
	if !errors.Is(err, stream.ErrWouldBlock) {
		return
	}
	h.remove(m)
	m.kick(errTooSlow)
	_ = m.out.Close()
	h.log.Warn("disconnected slow client", "nick", m.nick, "peer", m.peer,
		"outbox", m.out.Statistics().MaxBufferSize)
	h.dropped = append(h.dropped, m)
}

// announceDropped tells the members left about those deliver disconnected.
// Announcing may disconnect more; they are announced in turn.
func (h *hub) announceDropped() {
	for len(h.dropped) > 0 {
		m := h.dropped[0]
		h.dropped = h.dropped[1:]
		h.broadcast(nil, "* "+m.nick+" was disconnected (too slow)")
	}
}

// maxOnlineList bounds the list online returns, so that the lines carrying
// it stay well within codec.DefaultMaxLineLength however many are online.
const maxOnlineList = 1 << 10

// online lists the members' nicknames, sorted, and how many more there are
// when the list gets long.
func (h *hub) online() string {
	nicks := make([]string, 0, len(h.members))
	for nick := range h.members {
		nicks = append(nicks, nick)
	}
	slices.Sort(nicks)
	var b strings.Builder
	for i, nick := range nicks {
		if b.Len() > maxOnlineList {
			fmt.Fprintf(&b, " and %d more", len(nicks)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(nick)
	}
	return b.String()
}

// freeNick returns nick, or nick with the smallest number from 2 up
// appended that nobody uses.
func (h *hub) freeNick(nick string) string {
	if _, taken := h.members[nick]; !taken {
		return nick
	}
	for i := 2; ; i++ {
		candidate := nick + strconv.Itoa(i)
		if _, taken := h.members[candidate]; !taken {
			return candidate
		}
	}
}
