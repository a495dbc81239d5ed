package main

import (
	"context"
	"fmt"
	"io"

	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/lifecycle"
	"github.com/allot-project/allot/sqlstore"
)

const lifecycleUsage = `Usage: allot lifecycle run [flags]

Lifecycle runs allot's timed work, which "allot serve" also runs in the
background at start and then hourly:

	run  run every step once, now, and print what each did

Run "allot help lifecycle run" for its flags.
`

const lifecycleRunUsage = `Usage: allot lifecycle run [--db PATH|URL] [--output table|json]

Run runs every step of allot's timed work once, at the current time, on
the database, and prints one line per step with what it did:

	purge-deleted-users: 2 deleted users purged

purge-deleted-users removes for good the users deleted more than 30 days
ago, which can no longer be restored, and audits each one.

Running it while servers run, or from several hosts at once, is safe: each
piece of work is done once (a step that finds another process doing it
leaves the work to that process and reports 0). A failed step is reported
as one line on standard error, the other steps still run, and the exit
status is 1.

Examples:

	allot lifecycle run --db ./allot.db
	allot lifecycle run --db postgres://allot@db.example/allot --output json
`

// parseLifecycle dispatches to "lifecycle run", its one subcommand.
func (m *Main) parseLifecycle(args []string) (command, error) {
	g := &cli.Group[command]{Name: "lifecycle", Usage: lifecycleUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "run", Parse: m.parseLifecycleRun},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// lifecycleRunCommand is "allot lifecycle run".
type lifecycleRunCommand struct {
	m      *Main
	dsn    string
	output string
}

func (m *Main) parseLifecycleRun(args []string) (command, error) {
	c := &lifecycleRunCommand{m: m}
	fs := newFlagSet("lifecycle run")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.output, "output", "", "output `format`: table or json (default table)")
	fs.StringVar(&c.output, "o", "", "shorthand for --output `format`")
	if err := m.parseFlags(fs, lifecycleRunUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("lifecycle run takes no arguments, got %q (run 'allot lifecycle run -h' for usage)", fs.Arg(0))}
	}
	if c.output == "" {
		c.output = m.global.output
	}
	switch c.output {
	case "":
		c.output = "table"
	case "table", "json":
	default:
		return nil, &usageError{Msg: fmt.Sprintf("lifecycle run: --output must be table or json, not %q", c.output)}
	}
	return c, nil
}

func (c *lifecycleRunCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	results := lifecycle.Run(ctx, lifecycle.Steps(db), c.m.Now())
	if c.output == "json" {
		err = writeJSON(c.m.Stdout, stepResults(results))
	} else {
		err = printSteps(c.m.Stdout, results)
	}
	if err != nil {
		return err
	}
	return c.reportFailures(ctx, results)
}

// printSteps writes one line per step that did its work.
func printSteps(w io.Writer, results []lifecycle.Result) error {
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		if _, err := fmt.Fprintln(w, r.String()); err != nil {
			return err
		}
	}
	return nil
}

// reportFailures writes one line on stderr per failed step and returns
// errReported if there was one, or the context's error once interrupted.
func (c *lifecycleRunCommand) reportFailures(ctx context.Context, results []lifecycle.Result) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failed := false
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(c.m.Stderr, "allot: %s: %s\n", r.Step.Name, errorLine(r.Err))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// stepResult is a step's result in --output json.
type stepResult struct {
	Step    string `json:"step"`
	Count   int    `json:"count"`
	Summary string `json:"summary,omitempty"` // e.g. "2 deleted users purged"
	Error   string `json:"error,omitempty"`
}

// stepResults converts results for --output json; never null.
func stepResults(results []lifecycle.Result) []stepResult {
	out := make([]stepResult, 0, len(results))
	for _, r := range results {
		s := stepResult{Step: r.Step.Name, Count: r.Count}
		if r.Err != nil {
			s.Error = errorLine(r.Err)
		} else {
			s.Summary = r.Summary()
		}
		out = append(out, s)
	}
	return out
}
