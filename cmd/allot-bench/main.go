// Command allot-bench runs the benchmark workloads W1–W13 of
// docs/performance.md against an in-process allot server (the wiring
// "allot serve" runs, cmd/internal/server) and, for W10–W13, against
// allot binaries it builds; it prints one JSON line per workload and run.
// Its baseline server, a bare net/http handler, runs in a process of its
// own: the bench binary re-executed with the hidden sub-command
// "bare-handler".
//
// Usage:
//
//	allot-bench [flags] [W1 W1b W2 W3 W4 W5 W6 W7 W8 W9 W12 W13 W10 W11]
//
// Run "allot-bench -h" for the flags.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/allot-project/allot/cmd/internal/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == bareCommand {
		os.Exit(runBare(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(code)
}

// execute runs the benchmark of one command line and returns the exit
// code; errors are reported as one line on stderr.
func execute(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	c, err := parseBench(stdout, stderr, args)
	if err == nil {
		err = c.run(ctx)
	}
	return cli.Exit(ctx, stderr, "allot-bench", err, nil)
}
