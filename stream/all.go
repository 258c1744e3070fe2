package stream

import (
	"context"
	"errors"
	"io"
	"iter"
)

// All returns an iterator over the items received from r with ctx:
//
//	for item, err := range stream.All(ctx, r) {
//		if err != nil {
//			return err
//		}
//		use(item)
//	}
//
// Iteration ends quietly at end of stream (io.EOF is not yielded). Any other
// error, including the ctx's, is yielded once with the zero T, and then
// iteration stops. Breaking out of the loop stops receiving. r is not closed
// either way.
func All[T any](ctx context.Context, r ObjectReceiver[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			item, err := r.Receive(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if !yield(item, nil) {
				return
			}
		}
	}
}
