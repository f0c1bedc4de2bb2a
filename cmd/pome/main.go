// Command pome is Pome's one binary: the server, and the operator's and
// user's command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGHUP too (a closed terminal, a supervisor's reload): by default it
	// would kill the process without draining or flushing usage.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	context.AfterFunc(ctx, stop) // the first signal drains; a second one stops at once
	os.Exit(exitCode(run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)))
}
