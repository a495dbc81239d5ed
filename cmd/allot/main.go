// Command allot runs the allot license admin center and its operator tools.
//
// Usage:
//
//	allot <command> [flags] [arguments]
//
// Run "allot help" for the list of commands and "allot help <command>" for
// the flags of one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line is wrong
)

// run executes one command line and returns the process exit code. Errors
// are reported as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	m := NewMain(stdout, stderr)
	err := m.ParseFlags(ctx, args)
	if err == nil {
		err = m.Run(ctx)
	}
	err = errors.Join(err, m.Close())
	var uerr *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &uerr):
		if uerr.msg != "" {
			fmt.Fprintln(stderr, "allot: "+uerr.msg)
		}
		return exitUsage
	default:
		fmt.Fprintln(stderr, "allot: "+errorLine(err))
		return exitFailure
	}
}

// Main is the allot program: ParseFlags picks a command from the command
// line, Run runs it and Close releases what it opened.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time

	cmd command      // set by ParseFlags
	db  *sqlstore.DB // opened by the command, closed by Close
}

// NewMain returns a Main writing to stdout and stderr.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{Stdout: stdout, Stderr: stderr, Now: time.Now}
}

// command is one parsed subcommand, ready to run.
type command interface {
	run(ctx context.Context) error
}

// commandInfo names a subcommand and parses its command line.
type commandInfo struct {
	name, summary string
	parse         func(args []string) (command, error)
}

// commands lists the subcommands in the order the usage shows them.
func (m *Main) commands() []commandInfo {
	return []commandInfo{
		{"serve", "open (and migrate) the database and serve the admin center", m.parseServe},
		{"token", "create or revoke API access tokens", m.parseToken},
	}
}

const mainUsage = `allot is a license and subscription admin center.

Usage:

	allot <command> [flags] [arguments]

Commands:

%s
Run "allot help <command>" for the flags of a command.
`

// usage writes the overall usage to w.
func (m *Main) usage(w io.Writer) {
	var b strings.Builder
	for _, c := range m.commands() {
		fmt.Fprintf(&b, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// ParseFlags chooses the command named by args[0] and parses its flags.
// It returns flag.ErrHelp when help was asked for and printed, and a
// *usageError when the command line is wrong.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return &usageError{} // the usage says it all
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		m.usage(m.Stdout)
		return flag.ErrHelp
	case "help":
		return m.help(rest)
	}
	for _, c := range m.commands() {
		if c.name == name {
			cmd, err := c.parse(rest)
			if err != nil {
				return err
			}
			m.cmd = cmd
			return nil
		}
	}
	return &usageError{fmt.Sprintf("unknown command %q; run 'allot help' for the list of commands", name)}
}

// help prints the usage of the command named in args, or the overall usage.
func (m *Main) help(args []string) error {
	if len(args) == 0 {
		m.usage(m.Stdout)
		return flag.ErrHelp
	}
	for _, c := range m.commands() {
		if c.name == args[0] {
			_, err := c.parse(append(args[1:], "-h"))
			return err
		}
	}
	return &usageError{fmt.Sprintf("unknown command %q; run 'allot help' for the list of commands", args[0])}
}

// Run runs the command chosen by ParseFlags.
func (m *Main) Run(ctx context.Context) error {
	if m.cmd == nil {
		return errors.New("no command to run: call ParseFlags first")
	}
	return m.cmd.run(ctx)
}

// Close closes what the command opened. It may be called more than once.
func (m *Main) Close() error {
	if m.db == nil {
		return nil
	}
	err := m.db.Close()
	m.db = nil
	return err
}

// usageError is a mistake in the command line; it makes allot exit with
// status 2. An empty message means the usage was printed instead.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// newFlagSet returns a flag set for a command that prints nothing itself:
// parseFlags reports its errors and prints its usage when asked.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("allot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses a command's flags. -h prints the command's usage and
// flags on stdout and returns flag.ErrHelp; a bad flag becomes one line
// that points to -h.
func (m *Main) parseFlags(fs *flag.FlagSet, usage string, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(m.Stdout, usage+"\nFlags:\n\n")
		fs.SetOutput(m.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return flag.ErrHelp
	default:
		return &usageError{fmt.Sprintf("%s: %v (run '%s -h' for usage)", strings.TrimPrefix(fs.Name(), "allot "), err, fs.Name())}
	}
}

// openDB opens (creating and migrating if need be) the database named by
// dsn, a SQLite file path or a PostgreSQL URL, and keeps it for Close. With
// mustExist, a missing SQLite file is an error instead of a new database.
func (m *Main) openDB(ctx context.Context, dsn string, opts sqlstore.Options, mustExist bool) (*sqlstore.DB, error) {
	if dsn == "" {
		return nil, &usageError{"--db must name a SQLite file or a PostgreSQL URL"}
	}
	if mustExist && !isURL(dsn) {
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist (run 'allot serve --db %s' to create it)", dsn, dsn)
		}
	}
	if opts.Now == nil {
		opts.Now = m.Now
	}
	db, err := sqlstore.Open(ctx, dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redact(dsn), err)
	}
	m.db = db
	return db, nil
}

func isURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redact hides the password of a PostgreSQL URL, which must not reach logs.
func redact(dsn string) string {
	if !isURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "PostgreSQL database"
	}
	return u.Redacted()
}

// errorLine renders an error as one line: the message of an *allot.Error
// instead of its code, with any context wrapped around it kept.
func errorLine(err error) string {
	s := err.Error()
	var ae *allot.Error
	if errors.As(err, &ae) {
		s = strings.Replace(s, ae.Error(), ae.Message, 1)
	}
	return strings.Join(strings.Fields(s), " ")
}
