// Command pipeline runs a three-stage producer/consumer pipeline over memory
// object streams: a producer emits numbers, a pool of workers squares them,
// and a collector sums the results. It shows bounded buffers (back-pressure),
// cloned send ends (fan-in) and end of stream propagating once every sender
// has closed.
//
//	go run ./examples/pipeline -n 1000 -workers 4
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// run parses args, runs the pipeline and prints its result to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	n := fs.Int("n", 1000, "how many numbers to produce")
	workers := fs.Int("workers", 4, "how many squaring workers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 0 || *workers < 1 {
		return errors.New("-n must be >= 0 and -workers >= 1")
	}
	sum, err := pipeline(ctx, *n, *workers)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sum of squares of 1..%d = %d\n", *n, sum)
	return nil
}

// pipeline sums the squares of 1..n using the given number of workers.
func pipeline(ctx context.Context, n, workers int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	numbersTx, numbersRx := memory.NewObjectStream[int](16)
	squaresTx, squaresRx := memory.NewObjectStream[int](16)

	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	wg.Go(func() { errs <- produce(ctx, numbersTx, n) })
	for range workers {
		// Each worker owns a clone of both ends; the originals are closed
		// below, so end of stream reaches the collector exactly when the
		// last worker is done.
		rx, err := numbersRx.Clone()
		if err != nil {
			return 0, err
		}
		tx, err := squaresTx.Clone()
		if err != nil {
			return 0, err
		}
		wg.Go(func() { errs <- square(ctx, rx, tx) })
	}
	numbersRx.Close()
	squaresTx.Close()

	sum := 0
	var err error
	for v, rerr := range stream.All(ctx, squaresRx) {
		if rerr != nil {
			err = rerr
			break
		}
		sum += v
	}
	squaresRx.Close()
	cancel()
	wg.Wait()
	close(errs)
	for e := range errs {
		if err == nil && e != nil {
			err = e
		}
	}
	return sum, err
}

// produce sends 1..n and closes its end.
func produce(ctx context.Context, tx *memory.SendStream[int], n int) error {
	defer tx.Close()
	for i := 1; i <= n; i++ {
		if err := tx.Send(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// square receives numbers until end of stream and sends their squares.
func square(ctx context.Context, rx *memory.ReceiveStream[int], tx *memory.SendStream[int]) error {
	defer rx.Close()
	defer tx.Close()
	for v, err := range stream.All(ctx, rx) {
		if err != nil {
			return err
		}
		if err := tx.Send(ctx, v*v); err != nil {
			return err
		}
	}
	return nil
}
