package streamtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/codec"
	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// These tests cover streams that break on a cancelled Send
// (ObjectStreamOptions.SendBreaksOnCancel): the checks must pass such a
// stream without using it after the cancellation for anything but the
// breakage, and still fail one that gets the breakage wrong.

// breakFault is how a breakingSender gets the breakage wrong, if at all.
type breakFault int

const (
	breaksCorrectly     breakFault = iota
	breakWithoutBroken             // later Sends return the cause without stream.ErrBroken
	breakNotSticky                 // only the first later Send reports stream.ErrBroken
	cancelReportsBroken            // the cancelled Send returns stream.ErrBroken, not the ctx error
	closeReportsBroken             // a Send woken by Close returns stream.ErrBroken, not ErrClosed
)

// breakingSender breaks, as a codec does, when a blocked Send is cancelled
// (part of an item might have gone): every later Send returns
// stream.ErrBroken. A Send whose ctx is done before it starts fails without
// breaking it.
type breakingSender struct {
	*memory.SendStream[int]
	fault breakFault

	mu       sync.Mutex
	broken   error // the cause, once broken
	reported bool  // a later Send reported the breakage
}

func (s *breakingSender) Send(ctx context.Context, item int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("test: send: %w", err)
	}
	if broken, err := s.brokenErr(); broken {
		return err
	}
	err := s.SendStream.Send(ctx, item)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		s.mu.Lock()
		s.broken = err
		s.mu.Unlock()
		if s.fault == cancelReportsBroken {
			return stream.ErrBroken
		}
	case s.fault == closeReportsBroken && errors.Is(err, stream.ErrClosed):
		return stream.ErrBroken
	}
	return fmt.Errorf("test: send: %w", err)
}

// brokenErr reports whether the stream is broken, and what a Send returns
// then. The faulty breakNotSticky pretends to deliver the item it cannot
// send.
func (s *breakingSender) brokenErr() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken == nil {
		return false, nil
	}
	reported := s.reported
	s.reported = true
	switch {
	case s.fault == breakWithoutBroken:
		return true, fmt.Errorf("test: send: %w", s.broken)
	case s.fault == breakNotSticky && reported:
		return true, nil
	}
	return true, fmt.Errorf("test: send: %w", stream.Broken(s.broken))
}

func breakingMaker(size int, fault breakFault) MakeObjectStreams[int] {
	return objectMaker(size, func(s *memory.SendStream[int]) stream.ObjectSender[int] {
		return &breakingSender{SendStream: s, fault: fault}
	}, plainReceiver)
}

var sendBreaksOnCancel = ObjectStreamOptions{SendBreaksOnCancel: true}

func TestObjectChecksCatchBrokenBreakage(t *testing.T) {
	cases := []struct {
		name   string
		fault  breakFault
		checks []string
	}{
		{"BreakWithoutErrBroken", breakWithoutBroken, []string{"CancelBlockedSend"}},
		{"BreakNotSticky", breakNotSticky, []string{"CancelBlockedSend"}},
		{"CancelReportsBroken", cancelReportsBroken, []string{"CancelBlockedSend"}},
		{"CloseReportsBroken", closeReportsBroken, []string{"CloseWakesBlockedCalls"}},
	}
	for _, tc := range cases {
		for _, name := range tc.checks {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				for _, size := range []int{0, 4} {
					for _, good := range []MakeObjectStreams[int]{breakingMaker(size, breaksCorrectly), objectMaker(size, plainSender, plainReceiver)} {
						rec := runObjectRecordedWith(t, name, good, testItem, sendBreaksOnCancel)
						require.False(t, rec.Failed(), "the check fails a correct stream:\n%s", rec)
						require.False(t, rec.skipped, "the check was skipped:\n%s", rec)
					}
				}
				rec := runObjectRecordedWith(t, name, breakingMaker(4, tc.fault), testItem, sendBreaksOnCancel)
				assert.True(t, rec.Failed(), "the check passed a stream that breaks the contract")
				t.Logf("reported:\n%s", rec)
			})
		}
	}
}

// Lines over a byte pipe too small for the items a check sends breaks on
// the cancelled Send that is left with part of a line sent. The checks that
// need a blocked Send find it without cancelling one, and see the breakage.
func TestObjectChecksPassLinesBrokenByCancel(t *testing.T) {
	mk := func(testing.TB) (stream.ObjectSender[string], stream.ObjectReceiver[string], func()) {
		a, b := memory.NewBytePipe(16)
		return codec.Lines(a), codec.Lines(b), nil
	}
	item := func(i int) string { return fmt.Sprint("line ", i) }
	for _, name := range []string{"CancelBlockedSend", "CloseWakesBlockedCalls"} {
		t.Run(name, func(t *testing.T) {
			rec := runObjectRecordedWith(t, name, mk, item, sendBreaksOnCancel)
			require.False(t, rec.Failed(), "the check fails a stream that breaks on a cancelled Send:\n%s", rec)
			require.False(t, rec.skipped, "the check was skipped:\n%s", rec)
			assert.NotContains(t, rec.String(), "did not break", "the cancelled Send did not break the stream")
		})
	}
}
