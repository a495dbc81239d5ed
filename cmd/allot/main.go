// Command allot runs the allot license admin center and its operator tools,
// and is the command-line client of a running server: "allot serve" and
// "allot token" work on the database; "allot skus", "subscriptions",
// "users" and "license" call the API at $ALLOT_URL with $ALLOT_TOKEN.
//
// Usage:
//
//	allot [--url URL] [--token TOKEN] [--output table|json] <command> [flags] [arguments]
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
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain(os.Stdout, os.Stderr).Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// errReported makes allot exit with status 1 without a line of its own:
// the command has already reported each of its failures.
var errReported = cli.ErrReported

// Execute runs one command line (ParseFlags, Run, Close) and returns the
// process exit code. Errors are reported as one line on stderr.
func (m *Main) Execute(ctx context.Context, args []string) int {
	err := m.ParseFlags(ctx, args)
	if err == nil {
		err = m.Run(ctx)
	}
	err = errors.Join(err, m.Close())
	if wantsJSON(args) {
		return cli.ExitJSON(ctx, m.Stderr, err, errorLine, errorObject)
	}
	return cli.Exit(ctx, m.Stderr, "allot", err, errorLine)
}

// wantsJSON reports whether a command line asks for JSON output (-o json,
// --output json or --output=json, before any "--"), so that its errors
// are JSON too, even when the command line itself is wrong.
func wantsJSON(args []string) bool {
	for i, a := range args {
		if a == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "o" && name != "output" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if value == "json" {
			return true
		}
	}
	return false
}

// errorObject describes an error for --output json: the server's code,
// status and details when the server refused, allot's code otherwise.
func errorObject(err error, msg string) cli.ErrorObject {
	var ge *client.Error
	var auth *client.AuthError
	var ae *allot.Error
	switch {
	case errors.As(err, &auth):
		return cli.ErrorObject{Code: auth.Err.Code, Message: msg, Status: auth.Err.Status}
	case errors.As(err, &ge):
		obj := cli.ErrorObject{Code: ge.Code, Message: msg, Status: ge.Status}
		for _, d := range ge.Details {
			obj.Details = append(obj.Details, d)
		}
		return obj
	case errors.As(err, &ae):
		return cli.ErrorObject{Code: ae.Code, Message: msg}
	}
	return cli.ErrorObject{Code: "Error", Message: msg}
}

// Main is the allot program: ParseFlags picks a command from the command
// line, Run runs it and Close releases what it opened.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader // read by --users-from -
	// Getenv reads the environment (ALLOT_URL, ALLOT_TOKEN); tests give
	// each Main its own.
	Getenv func(key string) string
	Now    func() time.Time

	global globalFlags  // the flags before the command name
	cmd    command      // set by ParseFlags
	db     *sqlstore.DB // opened by the command, closed by Close
}

// NewMain returns a Main writing to stdout and stderr, reading standard
// input and the process environment.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{Stdout: stdout, Stderr: stderr, Stdin: os.Stdin, Getenv: os.Getenv, Now: time.Now}
}

// getenv reads an environment variable through Getenv.
func (m *Main) getenv(key string) string {
	if m.Getenv == nil {
		return ""
	}
	return m.Getenv(key)
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
		{"serve", "open (and migrate) the database and serve the API", m.parseServe},
		{"tenant", "set up an organisation from nothing, and add domains to it", m.parseTenant},
		{"token", "create, list or revoke API access tokens, for users or applications", m.parseToken},
		{"doctor", "check the database's invariants: seat counters, capacities, audit, integrity", m.parseDoctor},
		{"backup", "copy the SQLite database to a new file while it serves", m.parseBackup},
		{"lifecycle", "run the timed work (the purge of deleted users) once, as serve does hourly", m.parseLifecycle},
		{"skus", "list the products the tenant holds, with licenses assigned and available", m.parseSKUs},
		{"subscriptions", "list, buy and change the tenant's subscriptions", m.parseSubscriptions},
		{"policy", "show and set which products users may buy for themselves", m.parsePolicy},
		{"users", "list, show, create, change, delete and restore users; import and export them as CSV", m.parseUsers},
		{"holds", "place and release holds that keep mailboxes; list what content search reaches", m.parseHolds},
		{"roles", "list the administrator roles, grant and revoke them", m.parseRoles},
		{"license", "assign and unassign a product's licenses, to one user or thousands", m.parseLicense},
		{"check", "ask whether users may use a service plan, as applications do", m.parseCheck},
		{"audit", "print the audit log: who changed what, when", m.parseAudit},
		{"completion", "print the shell completion script for bash or zsh", m.parseCompletion},
	}
}

const mainUsage = `allot is a license and subscription admin center.

Usage:

	allot [--url URL] [--token TOKEN] [--output table|json] <command> [flags] [arguments]
	allot --version

Commands:

%s
"allot serve", "allot tenant", "allot token", "allot doctor", "allot backup"
and "allot lifecycle" work on the database itself; the other commands talk
to a running server over its API.

Environment:

	ALLOT_URL    the server of the client commands, e.g. http://127.0.0.1:8080
	ALLOT_TOKEN  the access token they send (allot serve --demo prints one)

The flags --url and --token win over them; --url, --token and --output may
be given before the command or after it. A flag is given once, except
those whose help says they may be repeated (--user, --sku of license),
which add up. With --output json, errors are printed as JSON on standard
error: {"error":{"code":…,"message":…}}, with the same exit status.

Exit status: 0 on success, 1 when the command failed, 2 for a mistake in
the command line.

Examples:

	allot serve --demo
	export ALLOT_URL=http://127.0.0.1:8080 ALLOT_TOKEN=allot_...
	allot skus
	allot users list --sku SPB
	allot license unassign --sku SPB --user adele@contoso.example

Run "allot help <command>" for the flags of a command.
`

// usage writes the overall usage to w.
func (m *Main) usage(w io.Writer) {
	var b strings.Builder
	for _, c := range m.commands() {
		fmt.Fprintf(&b, "\t%-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// ParseFlags chooses the command named by args[0] and parses its flags.
// It returns flag.ErrHelp when help was asked for and printed, and a
// *usageError when the command line is wrong.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	args, err := m.parseGlobalFlags(args)
	if err != nil {
		return err
	}
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
	return &usageError{Msg: fmt.Sprintf("unknown command %q; run 'allot help' for the list of commands", name)}
}

// parseGlobalFlags parses the flags before the command name and returns
// the rest of the command line.
func (m *Main) parseGlobalFlags(args []string) ([]string, error) {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args, nil
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return args, nil // the usage, printed by ParseFlags
	}
	fs := newFlagSet("")
	m.global.define(fs)
	var uerr *usageError
	if err := cli.ParseLeading(fs, args); errors.Is(err, flag.ErrHelp) {
		m.usage(m.Stdout)
		return nil, flag.ErrHelp
	} else if errors.As(err, &uerr) {
		return nil, err
	} else if err != nil {
		return nil, &usageError{Msg: fmt.Sprintf("%v (run 'allot -h' for usage)", err)}
	}
	if m.global.version {
		fmt.Fprintln(m.Stdout, version())
		return nil, flag.ErrHelp // printed; nothing to run
	}
	if fs.NArg() == 0 {
		m.usage(m.Stderr)
		return nil, &usageError{}
	}
	return fs.Args(), nil
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
	return &usageError{Msg: fmt.Sprintf("unknown command %q; run 'allot help' for the list of commands", args[0])}
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
type usageError = cli.UsageError

// newFlagSet returns the flag set of "allot name", which prints nothing
// itself: parseFlags reports its errors and prints its usage when asked.
func newFlagSet(name string) *flag.FlagSet { return cli.NewFlagSet("allot " + name) }

// parseFlags parses a command's flags, which may come before and after
// its arguments (see cli.ParseFlags); -h prints the usage on stdout.
func (m *Main) parseFlags(fs *flag.FlagSet, usage string, args []string) error {
	return cli.ParseFlags(m.Stdout, fs, usage, args)
}

// openDB opens (creating and migrating if need be) the database named by
// dsn, a SQLite file path or a PostgreSQL URL, and keeps it for Close. With
// mustExist, a missing SQLite file is an error instead of a new database.
func (m *Main) openDB(ctx context.Context, dsn string, opts sqlstore.Options, mustExist bool) (*sqlstore.DB, error) {
	if dsn == "" {
		return nil, &usageError{Msg: "--db must name a SQLite file or a PostgreSQL URL"}
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
// instead of its code, with any context wrapped around it kept, and the
// products it names by id named by name.
func errorLine(err error) string {
	s := err.Error()
	var ae *allot.Error
	if errors.As(err, &ae) {
		s = strings.Replace(s, ae.Error(), ae.Message, 1)
	}
	return strings.Join(strings.Fields(nameProducts(s)), " ")
}

var guidRE = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

// nameProducts replaces the skuIds of the catalog's products in a message
// by the products' names and part numbers, which people know.
func nameProducts(msg string) string {
	cat := allot.DemoCatalog()
	return guidRE.ReplaceAllStringFunc(msg, func(id string) string {
		if sku := cat.SKU(id); sku != nil {
			return sku.DisplayName.EN + " (" + sku.PartNumber + ")"
		}
		return id
	})
}
