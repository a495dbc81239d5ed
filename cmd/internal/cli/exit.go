package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of allot's programs.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command line is wrong
)

// ErrReported makes a program exit with ExitFailure without a line of its
// own: the command has already reported each of its failures.
var ErrReported = errors.New("failures reported above")

// Exit reports err, what running a command line returned, as one line on
// stderr that starts with prog ("allot: …"), and returns the exit code:
// ExitOK for nil and flag.ErrHelp, ExitUsage for a *UsageError, else
// ExitFailure. An interrupted command (ctx ended) says so; line renders
// the other errors (nil: err.Error()).
func Exit(ctx context.Context, stderr io.Writer, prog string, err error, line func(error) string) int {
	var uerr *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, ErrReported):
		return ExitFailure
	case errors.As(err, &uerr):
		if uerr.Msg != "" {
			fmt.Fprintln(stderr, prog+": "+uerr.Msg)
		}
		return ExitUsage
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(stderr, prog+": interrupted")
		return ExitFailure
	case line == nil:
		line = error.Error
	}
	fmt.Fprintln(stderr, prog+": "+line(err))
	return ExitFailure
}
