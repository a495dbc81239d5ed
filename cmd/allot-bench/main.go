// Command allot-bench runs the benchmark workloads W1–W11 of
// docs/performance.md against an in-process allot server (the wiring
// "allot serve" runs, cmd/internal/server) and, for W10 and W11, against
// allot binaries it builds; it prints one JSON line per workload and run.
//
// Usage:
//
//	allot-bench [flags] [W1 W1b W2 W3 W4 W5 W6 W7 W8 W9 W10 W11]
//
// Run "allot-bench -h" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/allot-project/allot/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a workload failed or a correctness check did
	exitUsage   = 2 // the command line is wrong
)

// errReported makes allot-bench exit with status 1 without a line of its
// own: the failures have been reported already.
var errReported = errors.New("failures reported above")

// execute runs the benchmark of one command line and returns the exit
// code; errors are reported as one line on stderr.
func execute(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	c, err := parseBench(stdout, stderr, args)
	if err == nil {
		err = c.run(ctx)
	}
	var uerr *cli.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errReported):
		return exitFailure
	case errors.As(err, &uerr):
		fmt.Fprintln(stderr, "allot-bench: "+uerr.Msg)
		return exitUsage
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(stderr, "allot-bench: interrupted")
		return exitFailure
	default:
		fmt.Fprintln(stderr, "allot-bench: "+err.Error())
		return exitFailure
	}
}
