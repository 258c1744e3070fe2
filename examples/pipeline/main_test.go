package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunPrintsSumOfSquares(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-n", "100", "-workers", "3"}, &out))
	require.Equal(t, "sum of squares of 1..100 = 338350\n", out.String())
}

func TestPipelineStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pipeline(ctx, 1_000_000, 4)
	require.ErrorIs(t, err, context.Canceled)
}

func TestRunRejectsBadFlags(t *testing.T) {
	require.Error(t, run(context.Background(), []string{"-workers", "0"}, &bytes.Buffer{}))
	require.Error(t, run(context.Background(), []string{"-bogus"}, &bytes.Buffer{}))
}
