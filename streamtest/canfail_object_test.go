package streamtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

func testItem(i int) int { return i }

// objectMaker makes memory object streams of ints, with wrappers applied.
func objectMaker(size int, wrapS func(*memory.SendStream[int]) stream.ObjectSender[int],
	wrapR func(*memory.ReceiveStream[int]) stream.ObjectReceiver[int]) MakeObjectStreams[int] {
	return func(testing.TB) (stream.ObjectSender[int], stream.ObjectReceiver[int], func()) {
		s, r := memory.NewObjectStream[int](size)
		return wrapS(s), wrapR(r), nil
	}
}

func plainSender(s *memory.SendStream[int]) stream.ObjectSender[int]        { return s }
func plainReceiver(r *memory.ReceiveStream[int]) stream.ObjectReceiver[int] { return r }

func runObjectRecorded(t *testing.T, name string, mk MakeObjectStreams[int]) *recorder {
	return runObjectRecordedWith(t, name, mk, testItem, ObjectStreamOptions{})
}

// runObjectRecordedWith runs the named object-stream check with opts and
// returns what it reported.
func runObjectRecordedWith[T any](t *testing.T, name string, mk MakeObjectStreams[T], item func(int) T, opts ObjectStreamOptions) *recorder {
	for _, c := range objectChecks[T]() {
		if c.name == name {
			rec := &recorder{TB: t}
			runObjectCheck(rec, fastTiming, mk, item, opts, c)
			return rec
		}
	}
	t.Fatalf("no object-stream check named %q", name)
	return nil
}

// consumesWhenCancelled takes an item before noticing a done ctx.
type consumesWhenCancelled struct{ *memory.ReceiveStream[int] }

func (r consumesWhenCancelled) Receive(ctx context.Context) (int, error) {
	if ctx.Err() != nil {
		r.TryReceive()
		return 0, ctx.Err()
	}
	return r.ReceiveStream.Receive(ctx)
}

// deliversThenTimesOut ignores a deadline while sending and reports it
// afterwards, although the item was delivered.
type deliversThenTimesOut struct{ *memory.SendStream[int] }

func (s deliversThenTimesOut) Send(ctx context.Context, item int) error {
	if err := s.SendStream.Send(context.Background(), item); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// deliversCancelledLater reports a cancelled Send as not delivered, but
// keeps its item and delivers it before the next one.
type deliversCancelledLater struct {
	*memory.SendStream[int]
	kept *int // guarded by the sender's one-Send-at-a-time use in the check
}

func (s deliversCancelledLater) Send(ctx context.Context, item int) error {
	if s.kept != nil && *s.kept >= 0 {
		if err := s.SendStream.Send(context.Background(), *s.kept); err != nil {
			return err
		}
		*s.kept = -1
	}
	err := s.SendStream.Send(ctx, item)
	if err != nil && ctx.Err() != nil {
		*s.kept = item
	}
	return err
}

// wrapsObjectEOF returns end of stream wrapped.
type wrapsObjectEOF struct{ *memory.ReceiveStream[int] }

func (r wrapsObjectEOF) Receive(ctx context.Context) (int, error) {
	v, err := r.ReceiveStream.Receive(ctx)
	if err == io.EOF {
		err = fmt.Errorf("wrapped: %w", err)
	}
	return v, err
}

// dropsWhenBroken pretends to deliver items nobody will receive.
type dropsWhenBroken struct{ *memory.SendStream[int] }

func (s dropsWhenBroken) Send(ctx context.Context, item int) error {
	if err := s.SendStream.Send(ctx, item); !errors.Is(err, stream.ErrBroken) {
		return err
	}
	return nil
}

func TestObjectChecksCatchBrokenStreams(t *testing.T) {
	cases := []struct {
		name   string
		mk     MakeObjectStreams[int]
		checks []string
	}{
		{"ConsumesWhenCancelled", objectMaker(4, plainSender, func(r *memory.ReceiveStream[int]) stream.ObjectReceiver[int] {
			return consumesWhenCancelled{r}
		}), []string{"AlreadyCancelled"}},
		{"DeliversThenTimesOut", objectMaker(0, func(s *memory.SendStream[int]) stream.ObjectSender[int] {
			return deliversThenTimesOut{s}
		}, plainReceiver), []string{"CancelStress"}},
		{"DeliversCancelledLater", objectMaker(4, func(s *memory.SendStream[int]) stream.ObjectSender[int] {
			kept := -1
			return deliversCancelledLater{s, &kept}
		}, plainReceiver), []string{"CancelBlockedSend"}},
		{"WrapsEOF", objectMaker(4, plainSender, func(r *memory.ReceiveStream[int]) stream.ObjectReceiver[int] {
			return wrapsObjectEOF{r}
		}), []string{"EndOfStream"}},
		{"DropsWhenBroken", objectMaker(4, func(s *memory.SendStream[int]) stream.ObjectSender[int] {
			return dropsWhenBroken{s}
		}, plainReceiver), []string{"ReceiverClosedBreaksSend"}},
	}
	for _, tc := range cases {
		for _, name := range tc.checks {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				for _, size := range []int{0, 4} {
					good := runObjectRecorded(t, name, objectMaker(size, plainSender, plainReceiver))
					require.False(t, good.Failed(), "the check fails a correct memory stream:\n%s", good)
				}
				rec := runObjectRecorded(t, name, tc.mk)
				assert.True(t, rec.Failed(), "the check passed a stream that breaks the contract")
				t.Logf("reported:\n%s", rec)
			})
		}
	}
}

// pipeListener accepts memory pipe ends handed over by dial.
type pipeListener struct {
	conns          *memory.ReceiveStream[*memory.BytePipeEnd]
	ignoresContext bool
	closes         atomic.Int32
	closeTwiceErr  bool
}

func (l *pipeListener) Accept(ctx context.Context) (*memory.BytePipeEnd, error) {
	if l.ignoresContext {
		ctx = context.Background()
	}
	return l.conns.Receive(ctx)
}

func (l *pipeListener) Close() error {
	if l.closes.Add(1) > 1 && l.closeTwiceErr {
		return errors.New("listener already closed")
	}
	return l.conns.Close()
}

func listenerMaker(configure func(*pipeListener)) MakeListener[*memory.BytePipeEnd] {
	return func(testing.TB) (stream.Listener[*memory.BytePipeEnd], func(context.Context) (io.Closer, error), func()) {
		s, r := memory.NewObjectStream[*memory.BytePipeEnd](0)
		l := &pipeListener{conns: r}
		configure(l)
		dial := func(ctx context.Context) (io.Closer, error) {
			local, remote := memory.NewBytePipe(1024)
			if err := s.Send(ctx, remote); err != nil {
				local.Close()
				remote.Close()
				return nil, err
			}
			return local, nil
		}
		return l, dial, func() { s.Close() }
	}
}

func runListenerRecorded(t *testing.T, name string, mk MakeListener[*memory.BytePipeEnd]) *recorder {
	for _, c := range listenerChecks[*memory.BytePipeEnd]() {
		if c.name == name {
			rec := &recorder{TB: t}
			runListenerCheck(rec, fastTiming, mk, c)
			return rec
		}
	}
	t.Fatalf("no listener check named %q", name)
	return nil
}

func TestListenerChecksCatchBrokenListeners(t *testing.T) {
	cases := []struct {
		name      string
		configure func(*pipeListener)
		checks    []string
	}{
		{"IgnoresContext", func(l *pipeListener) { l.ignoresContext = true }, []string{"AcceptCancel"}},
		{"CloseNotIdempotent", func(l *pipeListener) { l.closeTwiceErr = true }, []string{"CloseIdempotent"}},
	}
	for _, tc := range cases {
		for _, name := range tc.checks {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				good := runListenerRecorded(t, name, listenerMaker(func(*pipeListener) {}))
				require.False(t, good.Failed(), "the check fails a correct listener:\n%s", good)
				rec := runListenerRecorded(t, name, listenerMaker(tc.configure))
				assert.True(t, rec.Failed(), "the check passed a listener that breaks the contract")
				t.Logf("reported:\n%s", rec)
			})
		}
	}
}
