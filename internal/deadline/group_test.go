package deadline_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/deadline"
)

// groupOf returns n Directions joined to g, each in a Shared of its own as
// a stream's would be, with the recorders of their deadlines.
func groupOf(g *deadline.Group, n int) ([]*deadline.Direction, []*deadlines) {
	dirs, recs := make([]*deadline.Direction, n), make([]*deadlines, n)
	for i := range dirs {
		dirs[i], recs[i] = new(deadline.Direction), newDeadlines()
		dirs[i].InitShared(new(deadline.Shared), recorder{recs[i]})
		dirs[i].JoinGroup(g)
	}
	return dirs, recs
}

// TestGroupRegistersOnce: calls on many Directions with one context
// register its end once, and its end wakes exactly the calls inside.
func TestGroupRegistersOnce(t *testing.T) {
	var g deadline.Group
	defer g.Close()
	dirs, recs := groupOf(&g, 3)
	ctx := newManualCtx()
	for _, d := range dirs {
		require.NoError(t, d.Begin(ctx, nil))
	}
	dirs[2].End() // no longer inside: not woken
	require.Equal(t, 1, ctx.registered)
	ctx.cancel()
	for _, r := range recs[:2] {
		<-r.changed
		require.Equal(t, []time.Time{deadline.Past}, r.get())
	}
	require.Empty(t, recs[2].get())
	require.ErrorIs(t, dirs[0].Retry(ctx, os.ErrDeadlineExceeded), context.Canceled)
	dirs[0].End()
	dirs[1].End()
	require.ErrorIs(t, dirs[2].Begin(ctx, nil), context.Canceled)
}

// TestGroupWaitsForPendingWake: a watched context that has ended, but whose
// registered function has not run yet, still has calls to wake: a call with
// another context must not take the group over from it.
func TestGroupWaitsForPendingWake(t *testing.T) {
	var g deadline.Group
	defer g.Close()
	dirs, recs := groupOf(&g, 2)
	first, second := newManualCtx(), newManualCtx()
	require.NoError(t, dirs[0].Begin(first, nil))
	pending := first.end()
	require.NoError(t, dirs[1].Begin(second, nil))
	for _, f := range pending {
		f()
	}
	select {
	case <-recs[0].changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the call with the ended context was not woken")
	}
	require.Equal(t, []time.Time{deadline.Past}, recs[0].get())
	require.ErrorIs(t, dirs[0].Retry(first, os.ErrDeadlineExceeded), context.Canceled)
	dirs[0].End()

	second.cancel()
	<-recs[1].changed
	require.Equal(t, []time.Time{deadline.Past}, recs[1].get())
	dirs[1].End()
}

// TestGroupOtherContextFallsBack: while the group watches a live context, a
// call with another one registers on its own Direction, and that context's
// end wakes it alone.
func TestGroupOtherContextFallsBack(t *testing.T) {
	var g deadline.Group
	defer g.Close()
	dirs, recs := groupOf(&g, 2)
	first, second := newManualCtx(), newManualCtx()
	require.NoError(t, dirs[0].Begin(first, nil))
	require.NoError(t, dirs[1].Begin(second, nil))
	require.Equal(t, 1, first.registered)
	require.Equal(t, 1, second.registered)
	second.cancel()
	<-recs[1].changed
	require.Equal(t, []time.Time{deadline.Past}, recs[1].get())
	require.Empty(t, recs[0].get(), "a call with another context is not woken")
	dirs[0].End()
	dirs[1].End()
}

// TestGroupTakesNextContext: once the watched context ended, the group
// watches the next context a call brings.
func TestGroupTakesNextContext(t *testing.T) {
	var g deadline.Group
	defer g.Close()
	dirs, recs := groupOf(&g, 2)
	first, second := newManualCtx(), newManualCtx()
	require.NoError(t, dirs[0].Begin(first, nil))
	dirs[0].End()
	first.cancel()
	for _, d := range dirs {
		require.NoError(t, d.Begin(second, nil))
	}
	require.Equal(t, 1, second.registered)
	second.cancel()
	for _, r := range recs {
		<-r.changed
		require.Equal(t, []time.Time{deadline.Past}, r.get())
	}
	for _, d := range dirs {
		d.End()
	}
}

// TestGroupCloseDropsRegistration: Close unregisters the context, and later
// calls fall back to their Direction's registrations.
func TestGroupCloseDropsRegistration(t *testing.T) {
	var g deadline.Group
	dirs, recs := groupOf(&g, 1)
	ctx := newManualCtx()
	require.NoError(t, dirs[0].Begin(ctx, nil))
	dirs[0].End()
	g.Close()
	g.Close()
	require.Zero(t, ctx.pending())
	require.NoError(t, dirs[0].Begin(ctx, nil))
	require.Equal(t, 1, ctx.pending(), "the Direction registered on its own")
	ctx.cancel()
	<-recs[0].changed
	require.Equal(t, []time.Time{deadline.Past}, recs[0].get())
	dirs[0].End()
}

// TestGroupAllocatesNothing: calls on many Directions with the context the
// group watches allocate nothing.
func TestGroupAllocatesNothing(t *testing.T) {
	var g deadline.Group
	defer g.Close()
	dirs, _ := groupOf(&g, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allocs := testing.AllocsPerRun(100, func() {
		for _, d := range dirs {
			if err := d.Begin(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range dirs {
			d.End()
		}
	})
	require.Zero(t, allocs)
}
