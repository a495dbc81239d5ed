// Package cli holds what allot's command-line programs (allot and
// allot-bench) share: flag sets that print nothing themselves, flags
// mixed with arguments, usage errors, and the table-driven dispatcher of
// commands made of subcommands ("allot token create|revoke").
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a mistake in the command line; the programs exit with
// status 2. An empty Msg means the usage was printed instead.
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// NewFlagSet returns a flag set named after the command as people type it
// ("allot serve", "allot-bench") that prints nothing itself: ParseFlags
// reports its errors and prints its usage when asked.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// ParseFlags parses a command's flags, which may come before and after
// its arguments ("users show UPN -o json"); after "--" everything is an
// argument, and afterwards fs.Args() are the arguments. -h prints usage
// and the flags on stdout and returns flag.ErrHelp; a bad flag becomes a
// *UsageError of one line that points to -h.
func ParseFlags(stdout io.Writer, fs *flag.FlagSet, usage string, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return flagError(stdout, fs, usage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// flagError handles an error of fs.Parse. The message starts with the
// subcommand ("serve: …"), if fs is one.
func flagError(stdout io.Writer, fs *flag.FlagSet, usage string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage+"\nFlags:\n\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return flag.ErrHelp
	}
	msg := fmt.Sprintf("%v (run '%s -h' for usage)", err, fs.Name())
	if _, sub, ok := strings.Cut(fs.Name(), " "); ok {
		msg = sub + ": " + msg
	}
	return &UsageError{msg}
}
