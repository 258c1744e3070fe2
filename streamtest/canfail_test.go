package streamtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

// These tests show that the suite fails streams that break the contract:
// each runs checks on a deliberately broken stream through a recorder and
// asserts that the failure was reported, and runs the same checks on a
// correct stream to show that it is the breakage that was caught.

// recorder is a testing.TB that records failures and skips instead of
// reporting them, so that a check can be expected to fail.
type recorder struct {
	testing.TB // the real test, for Helper, Cleanup, Name and the like

	mu      sync.Mutex
	failed  bool
	skipped bool
	msgs    []string
}

func (r *recorder) add(failed bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || failed
	r.msgs = append(r.msgs, strings.TrimSpace(msg))
}

func (r *recorder) Fail()                             { r.add(true, "Fail") }
func (r *recorder) Error(args ...any)                 { r.add(true, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.add(true, fmt.Sprintf(format, args...)) }
func (r *recorder) Log(args ...any)                   { r.add(false, fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, args ...any)   { r.add(false, fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any)                  { r.skip(fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip(fmt.Sprintf(format, args...)) }
func (r *recorder) SkipNow()                          { r.skip("SkipNow") }

func (r *recorder) skip(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = true
	r.msgs = append(r.msgs, "skip: "+msg)
}

// Failed reports whether a failure was recorded.
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// FailNow and Fatal are never called by runCheck on the test goroutine; a
// call means a bug in the runner.
func (r *recorder) FailNow()                          { r.TB.Fatal("runCheck called FailNow on the outer test") }
func (r *recorder) Fatal(args ...any)                 { r.FailNow() }
func (r *recorder) Fatalf(format string, args ...any) { r.FailNow() }

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// fastTiming keeps deliberately failing checks quick.
var fastTiming = timing{
	prompt:   time.Second,
	settle:   10 * time.Millisecond,
	watchdog: 5 * time.Second,
	grace:    2 * time.Second,
}

func findByteCheck(t *testing.T, name string) byteCheck {
	for _, c := range byteChecks {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no byte-stream check named %q", name)
	return byteCheck{}
}

// runRecorded runs the named byte-stream check on pairs from mk and returns
// what it reported.
func runRecorded(t *testing.T, name string, mk MakeByteStreams, opts ByteStreamOptions) *recorder {
	rec := &recorder{TB: t}
	cfg := &byteConfig{mk: mk, opts: opts, tm: fastTiming}
	cfg.run(rec, findByteCheck(t, name))
	return rec
}

// memoryPipe makes memory byte pipes, each end wrapped by wrap.
func memoryPipe(size int, wrap func(*memory.BytePipeEnd) stream.ByteStream) MakeByteStreams {
	return func(testing.TB) (a, b stream.ByteStream, stop func()) {
		x, y := memory.NewBytePipe(size)
		return wrap(x), wrap(y), nil
	}
}

func plain(e *memory.BytePipeEnd) stream.ByteStream { return e }

// zeroReceive returns (0, nil) from every other Receive.
type zeroReceive struct {
	*memory.BytePipeEnd
	calls atomic.Int64
}

func (z *zeroReceive) Receive(ctx context.Context, p []byte) (int, error) {
	if z.calls.Add(1)%2 == 1 {
		return 0, nil
	}
	return z.BytePipeEnd.Receive(ctx, p)
}

// ignoresContext never lets a ctx interrupt a call.
type ignoresContext struct{ *memory.BytePipeEnd }

func (s ignoresContext) Receive(_ context.Context, p []byte) (int, error) {
	return s.BytePipeEnd.Receive(context.Background(), p)
}

func (s ignoresContext) Send(_ context.Context, p []byte) error {
	return s.BytePipeEnd.Send(context.Background(), p)
}

// queuesReceives makes a second Receive wait for the first instead of
// returning ErrBusy.
type queuesReceives struct {
	*memory.BytePipeEnd
	mu *sync.Mutex
}

func (s queuesReceives) Receive(ctx context.Context, p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.BytePipeEnd.Receive(ctx, p)
}

// wrapsEOF returns end of stream wrapped.
type wrapsEOF struct{ *memory.BytePipeEnd }

func (s wrapsEOF) Receive(ctx context.Context, p []byte) (int, error) {
	n, err := s.BytePipeEnd.Receive(ctx, p)
	if err == io.EOF {
		err = fmt.Errorf("wrapped: %w", err)
	}
	return n, err
}

// closeOnce returns an error from every Close after the first.
type closeOnce struct {
	*memory.BytePipeEnd
	closed *atomic.Bool
}

func (s closeOnce) Close() error {
	if s.closed.Swap(true) {
		return errors.New("already closed")
	}
	return s.BytePipeEnd.Close()
}

// retainsBuffer sends each buffer only when the next Send comes, reading it
// after the caller was told it was sent; the last one is never sent.
type retainsBuffer struct {
	*memory.BytePipeEnd
	mu      *sync.Mutex
	pending *[]byte
}

func (s retainsBuffer) flush(ctx context.Context) error {
	p := *s.pending
	*s.pending = nil
	if len(p) == 0 {
		return nil
	}
	return s.BytePipeEnd.Send(ctx, p)
}

func (s retainsBuffer) Send(ctx context.Context, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.flush(ctx)
	*s.pending = p
	return err
}

// timesOutEarly ends Receives 50 ms before their deadline.
type timesOutEarly struct{ *memory.BytePipeEnd }

func (s timesOutEarly) Receive(ctx context.Context, p []byte) (int, error) {
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-50*time.Millisecond))
		defer cancel()
	}
	return s.BytePipeEnd.Receive(ctx, p)
}

// closedIsBroken reports ErrBroken instead of ErrClosed once closed.
type closedIsBroken struct{ *memory.BytePipeEnd }

func (s closedIsBroken) Receive(ctx context.Context, p []byte) (int, error) {
	n, err := s.BytePipeEnd.Receive(ctx, p)
	if errors.Is(err, stream.ErrClosed) {
		err = stream.Broken(err)
	}
	return n, err
}

// answersAnything claims every attribute, with a value of the wrong kind.
type answersAnything struct{ *memory.BytePipeEnd }

func (answersAnything) Extra(any) (any, bool) { return "anything", true }

// cancelsLate notices a cancelled ctx only after a while, as a stream that
// polls its context would.
type cancelsLate struct{ *memory.BytePipeEnd }

func (s cancelsLate) Receive(ctx context.Context, p []byte) (int, error) {
	n, err := s.BytePipeEnd.Receive(ctx, p)
	if errors.Is(err, context.Canceled) {
		time.Sleep(200 * time.Millisecond)
	}
	return n, err
}

// brokenOnce forgets, on every other Send, that the stream is broken.
type brokenOnce struct {
	*memory.BytePipeEnd
	n *atomic.Int64
}

func (s brokenOnce) Send(ctx context.Context, p []byte) error {
	err := s.BytePipeEnd.Send(ctx, p)
	if errors.Is(err, stream.ErrBroken) && s.n.Add(1)%2 == 0 {
		return nil
	}
	return err
}

// emptySendIgnoresContext lets an empty Send through whatever its ctx.
type emptySendIgnoresContext struct{ *memory.BytePipeEnd }

func (s emptySendIgnoresContext) Send(ctx context.Context, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	return s.BytePipeEnd.Send(ctx, p)
}

func TestByteChecksCatchBrokenStreams(t *testing.T) {
	cases := []struct {
		name   string
		wrap   func(*memory.BytePipeEnd) stream.ByteStream
		checks []string
	}{
		{"ZeroReceive", func(e *memory.BytePipeEnd) stream.ByteStream { return &zeroReceive{BytePipeEnd: e} },
			[]string{"SendReceive", "BasicIO", "PartialReceive"}},
		{"IgnoresContext", func(e *memory.BytePipeEnd) stream.ByteStream { return ignoresContext{e} },
			[]string{"CancelBlockedReceive", "NoEarlyTimeout", "TimedOutReceiveNotBusy"}},
		{"QueuesReceives", func(e *memory.BytePipeEnd) stream.ByteStream { return queuesReceives{e, new(sync.Mutex)} },
			[]string{"ConcurrentReceiveBusy", "BusyNotSticky"}},
		{"WrapsEOF", func(e *memory.BytePipeEnd) stream.ByteStream { return wrapsEOF{e} },
			[]string{"GracefulCloseKeepsData", "CloseWriteSendsEOF", "PeerCloseWakesReceive"}},
		{"CloseNotIdempotent", func(e *memory.BytePipeEnd) stream.ByteStream { return closeOnce{e, new(atomic.Bool)} },
			[]string{"CloseIdempotent"}},
		{"RetainsBuffer", func(e *memory.BytePipeEnd) stream.ByteStream {
			return retainsBuffer{e, new(sync.Mutex), new([]byte)}
		}, []string{"RacyWrite", "SendReceive"}},
		{"TimesOutEarly", func(e *memory.BytePipeEnd) stream.ByteStream { return timesOutEarly{e} },
			[]string{"NoEarlyTimeout"}},
		{"ClosedIsBroken", func(e *memory.BytePipeEnd) stream.ByteStream { return closedIsBroken{e} },
			[]string{"UseAfterClose", "CloseWakesReceive", "ReceiveAfterLocalClose"}},
		{"AnswersAnything", func(e *memory.BytePipeEnd) stream.ByteStream { return answersAnything{e} },
			[]string{"Attributes"}},
		{"CancelsLate", func(e *memory.BytePipeEnd) stream.ByteStream { return cancelsLate{e} },
			[]string{"CancelBlockedReceive"}},
		{"BrokenNotSticky", func(e *memory.BytePipeEnd) stream.ByteStream { return brokenOnce{e, new(atomic.Int64)} },
			[]string{"PeerCloseBreaksSend"}},
		{"EmptySendIgnoresContext", func(e *memory.BytePipeEnd) stream.ByteStream { return emptySendIgnoresContext{e} },
			[]string{"AlreadyCancelled"}},
	}
	for _, tc := range cases {
		for _, name := range tc.checks {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				good := runRecorded(t, name, memoryPipe(64<<10, plain), ByteStreamOptions{})
				require.False(t, good.Failed(), "the check fails a correct memory pipe:\n%s", good)
				rec := runRecorded(t, name, memoryPipe(64<<10, tc.wrap), ByteStreamOptions{})
				assert.True(t, rec.Failed(), "the check passed a stream that breaks the contract")
				t.Logf("reported:\n%s", rec)
			})
		}
	}
}
