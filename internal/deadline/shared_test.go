package deadline_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/deadline"
	"github.com/anyio-go/anyio/stream"
)

// recorder is a deadlines recorder as a deadline.Setter.
type recorder struct{ *deadlines }

func (r recorder) SetDeadline(t time.Time) error { return r.setDeadline(t) }

// sharedPair returns two Directions joined to one Shared, with the
// recorders of their deadlines.
func sharedPair() (a, b *deadline.Direction, ra, rb *deadlines) {
	var sh deadline.Shared
	a, b = new(deadline.Direction), new(deadline.Direction)
	ra, rb = newDeadlines(), newDeadlines()
	a.InitShared(&sh, recorder{ra})
	b.InitShared(&sh, recorder{rb})
	return a, b, ra, rb
}

// TestSharedRegistrationServesBothDirections: calls in both directions with
// one context register its end once, and its end wakes both.
func TestSharedRegistrationServesBothDirections(t *testing.T) {
	a, b, ra, rb := sharedPair()
	ctx := newManualCtx()
	require.NoError(t, a.Begin(ctx, nil))
	require.NoError(t, b.Begin(ctx, nil))
	require.Equal(t, 1, ctx.registered)
	ctx.cancel()
	<-ra.changed
	<-rb.changed
	require.Equal(t, []time.Time{deadline.Past}, ra.get())
	require.Equal(t, []time.Time{deadline.Past}, rb.get())
	require.ErrorIs(t, a.Retry(ctx, os.ErrDeadlineExceeded), context.Canceled)
	a.End()
	b.End()
}

// TestSharedKeepsOtherCallWatched: a call with another context does not
// take the registration that the other direction's call inside relies on.
func TestSharedKeepsOtherCallWatched(t *testing.T) {
	a, b, ra, rb := sharedPair()
	first, second, third := newManualCtx(), newManualCtx(), newManualCtx()
	require.NoError(t, a.Begin(first, nil))
	require.NoError(t, b.Begin(second, nil))
	b.End()
	require.NoError(t, b.Begin(third, nil))
	require.Equal(t, 1, first.pending(), "the call inside is still watched")
	require.Zero(t, second.pending(), "the unused registration was replaced")

	first.cancel()
	<-ra.changed
	require.Equal(t, []time.Time{deadline.Past}, ra.get())
	require.Empty(t, rb.get(), "the other call is not woken")
	third.cancel()
	<-rb.changed
	require.Equal(t, []time.Time{deadline.Past}, rb.get())
	a.End()
	b.End()
}

// TestSharedDropsRegistrationsWhenAllClosed: the registrations live until
// both directions are closed.
func TestSharedDropsRegistrationsWhenAllClosed(t *testing.T) {
	a, b, _, _ := sharedPair()
	ctx := newManualCtx()
	require.NoError(t, a.Begin(ctx, nil))
	a.End()
	a.Close()
	require.Equal(t, 1, ctx.pending(), "b may still use it")
	require.ErrorIs(t, a.Begin(ctx, nil), stream.ErrClosed)
	b.Close()
	require.Zero(t, ctx.pending())
}

// TestSharedKeepsEachDirectionsContext: directions that keep using
// different contexts keep their registrations and allocate nothing.
func TestSharedKeepsEachDirectionsContext(t *testing.T) {
	var sh deadline.Shared
	var a, b deadline.Direction
	a.InitShared(&sh, recorder{newDeadlines()})
	b.InitShared(&sh, recorder{newDeadlines()})
	ca, stopA := context.WithCancel(context.Background())
	defer stopA()
	cb, stopB := context.WithCancel(context.Background())
	defer stopB()
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range []struct {
			d   *deadline.Direction
			ctx context.Context
		}{{&a, ca}, {&b, cb}} {
			if err := c.d.Begin(c.ctx, nil); err != nil {
				t.Fatal(err)
			}
			c.d.End()
		}
	})
	require.Zero(t, allocs)
}
