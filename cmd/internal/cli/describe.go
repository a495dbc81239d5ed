package cli

import (
	"errors"
	"flag"
)

// DescribeArg, given as the only argument of a command or group, makes
// its parser return a *Described instead of parsing: how shell completion
// and the tests learn every command and its flags from the command table
// itself. It holds a NUL byte, which no shell can pass.
const DescribeArg = "\x00describe"

// Described is what a parser given DescribeArg returns, as an error: the
// commands it parses, with their flags.
type Described struct {
	Commands []Command
}

// Command is one command of a Described: its path as people type it
// ("allot license assign") and its flags (nil when unknown).
type Command struct {
	Path  string
	Flags *flag.FlagSet
}

// Error says what a Described is, should one ever be printed.
func (d *Described) Error() string { return "commands described" }

// Describe calls parse with DescribeArg and returns what it described, or
// a Command of path alone when parse does not describe itself.
func Describe(path string, parse func(args []string) error) []Command {
	var d *Described
	if err := parse([]string{DescribeArg}); errors.As(err, &d) {
		return d.Commands
	}
	return []Command{{Path: path}}
}
