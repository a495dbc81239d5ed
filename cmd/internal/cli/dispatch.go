package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Group is a command made of subcommands, such as "allot token" with
// create and revoke. C is what a subcommand's parser returns.
type Group[C any] struct {
	// Name is the command as messages name it ("token").
	Name string
	// Usage lists the subcommands; it is printed on stdout for -h and on
	// stderr when no subcommand is given.
	Usage string
	// Subcommands are the subcommands, in the order Usage lists them.
	Subcommands []Subcommand[C]
}

// Subcommand is one subcommand of a Group: its name and the parser of the
// rest of its command line.
type Subcommand[C any] struct {
	Name  string
	Parse func(args []string) (C, error)
}

// Dispatch parses args, the command line after the group's name, with the
// subcommand it names. With no arguments it prints the usage on stderr
// and returns an empty *UsageError; with -h it prints it on stdout and
// returns flag.ErrHelp; an unknown subcommand is a *UsageError naming the
// known ones.
func (g *Group[C]) Dispatch(stdout, stderr io.Writer, args []string) (C, error) {
	var none C
	if len(args) == 0 {
		fmt.Fprint(stderr, g.Usage)
		return none, &UsageError{}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, g.Usage)
		return none, flag.ErrHelp
	case DescribeArg:
		return none, g.describe()
	}
	for _, s := range g.Subcommands {
		if s.Name == args[0] {
			return s.Parse(args[1:])
		}
	}
	return none, &UsageError{fmt.Sprintf("%s: unknown subcommand %q; want %s", g.Name, args[0], g.names())}
}

// describe describes every subcommand; those that do not describe
// themselves are named "allot <group> <subcommand>".
func (g *Group[C]) describe() *Described {
	d := &Described{}
	for _, s := range g.Subcommands {
		d.Commands = append(d.Commands, Describe("allot "+g.Name+" "+s.Name, func(args []string) error {
			_, err := s.Parse(args)
			return err
		})...)
	}
	return d
}

// names lists the subcommands as a sentence does: "a, b or c".
func (g *Group[C]) names() string {
	names := make([]string, len(g.Subcommands))
	for i, s := range g.Subcommands {
		names[i] = s.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
