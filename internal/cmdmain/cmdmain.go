// Package cmdmain is the main function of the example servers: run until
// SIGINT or SIGTERM, and exit with status 1 when the server fails. A server
// is written as a RunFunc, which tests call directly with a context they
// cancel and a buffer for its log.
package cmdmain

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// RunFunc parses args, then serves until ctx ends, logging to logOut. It
// returns nil after a graceful shutdown.
type RunFunc func(ctx context.Context, args []string, logOut io.Writer) error

// Run calls run with the program's arguments and logOut until SIGINT or
// SIGTERM. If run fails, Run prints "name: error" to standard error and
// exits with status 1; otherwise it returns.
func Run(name string, logOut io.Writer, run RunFunc) {
	if err := UntilSignalled(os.Args[1:], logOut, run); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// UntilSignalled calls run with a context that ends on the first SIGINT or
// SIGTERM, and returns run's error. Until it returns, those signals no
// longer stop the process; a signal that arrives after it returns does.
func UntilSignalled(args []string, logOut io.Writer, run RunFunc) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, logOut)
}
