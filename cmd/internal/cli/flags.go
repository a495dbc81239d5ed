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
// argument, and afterwards fs.Args() are the arguments. A flag given twice
// is a usage error unless its value is Repeatable. -h prints usage and the
// flags on stdout and returns flag.ErrHelp; a bad flag becomes a
// *UsageError of one line that points to -h. Given DescribeArg alone, it
// returns a *Described of fs instead of parsing.
func ParseFlags(stdout io.Writer, fs *flag.FlagSet, usage string, args []string) error {
	if len(args) == 1 && args[0] == DescribeArg {
		return &Described{Commands: []Command{{Path: fs.Name(), Flags: fs}}}
	}
	var repeated string
	guardRepeats(fs, &repeated)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if repeated != "" {
				return &UsageError{subcommandPrefix(fs) + repeated}
			}
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
		PrintFlags(stdout, fs)
		return flag.ErrHelp
	}
	return &UsageError{subcommandPrefix(fs) + fmt.Sprintf("%v (run '%s -h' for usage)", err, fs.Name())}
}

// subcommandPrefix starts a message about fs's command line with the
// subcommand ("serve: "), if fs is one.
func subcommandPrefix(fs *flag.FlagSet) string {
	if _, sub, ok := strings.Cut(fs.Name(), " "); ok {
		return sub + ": "
	}
	return ""
}

// PrintFlags prints the flags of fs as flag.PrintDefaults does, but in
// the form people type them: --name, and -x for one letter.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		plain := *f
		plain.Value = unwrap(f.Value)
		name, usage := flag.UnquoteUsage(&plain)
		line := "  " + dashed(f.Name)
		if name != "" {
			line += " " + name
		}
		if len(line) <= 4 {
			line += "\t"
		} else {
			line += "\n    \t"
		}
		line += strings.ReplaceAll(usage, "\n", "\n    \t")
		if d := defaultOf(plain.Value, f.DefValue); d != "" {
			line += " (default " + d + ")"
		}
		fmt.Fprintln(w, line)
	})
}

// defaultOf renders a flag's default as flag.PrintDefaults does: nothing
// for the zero value, quoted for a string.
func defaultOf(v flag.Value, def string) string {
	switch def {
	case "", "0", "false", "0s":
		return ""
	}
	if fmt.Sprintf("%T", v) == "*flag.stringValue" {
		return fmt.Sprintf("%q", def)
	}
	return def
}

// ParseLeading parses the flags before a program's first argument (the
// command name), refusing a flag given twice as ParseFlags does;
// afterwards fs.Args() is the rest of the command line. Its errors are
// those of fs.Parse, or a *UsageError for a repeated flag.
func ParseLeading(fs *flag.FlagSet, args []string) error {
	var repeated string
	guardRepeats(fs, &repeated)
	err := fs.Parse(args)
	if repeated != "" {
		return &UsageError{repeated}
	}
	return err
}
