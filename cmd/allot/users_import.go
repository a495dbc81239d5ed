package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

const usersImportUsage = `Usage: allot users import [--dry-run] [--atomic] [--output table|json] FILE.csv|-

Import creates and updates users and their licenses from a CSV file ("-"
reads standard input) whose header names the columns, in any order:

	userPrincipalName  the user; a user that does not exist is created
	displayName        its display name
	usageLocation      a two-letter ISO 3166 country code, or empty
	accountEnabled     true, or false to block sign-in
	licenses           skuPartNumbers separated by ";" (e.g. SPB;EXCHANGESTANDARD)

Each user ends up holding exactly the licenses listed: products not listed
are removed (an empty cell removes every license), new ones are assigned
with every service plan on, and products kept keep their disabled plans.
"allot users export" writes this format, so an export imports back to no
change. A file lists each user once.

The file is read and sent in chunks of 1,000 rows, each applied in one
transaction, so files of any size import in bounded memory. A row that is
refused (a malformed line, an unknown product, no seat left, a role that
may not make the change) is reported with its line number and the others
go on; import then exits with status 1. Only the chunk being sent is held
in memory, with the userPrincipalNames seen so far (to refuse a user's
second row). Should a chunk fail as a whole (the server unreachable), the
import stops there: the chunks before it stay applied, and importing the
file again is safe, since rows already applied change nothing.

	--dry-run  report what would change, row by row, and change nothing; a
	           file of more than 1,000 rows is judged chunk by chunk, so seats
	           taken by earlier chunks are not counted against later ones
	           (add --atomic for an exact verdict)
	--atomic   change nothing unless every row can be applied: the whole file
	           goes in one request and one transaction, so it may have at most
	           10,000 rows
	--progress run each request as an operation on the server and follow
	           its progress on the bar (done anyway for a request of 5,000
	           rows or more)

Examples:

	allot users export > users.csv
	allot users import --dry-run users.csv
	allot users import --atomic users.csv
`

// importChunk is how many rows one import request carries.
const importChunk = 1000

// usersImportCommand is "allot users import".
type usersImportCommand struct {
	remote *remote
	cl     *client.Client
	file   string
	opts   client.ImportOptions
	// progress runs every request as a server-side operation.
	progress bool
}

func (m *Main) parseUsersImport(args []string) (command, error) {
	fs := newFlagSet("users import")
	c := &usersImportCommand{remote: m.remoteFlags(fs)}
	fs.BoolVar(&c.opts.DryRun, "dry-run", false, "report what would change, and change nothing")
	fs.BoolVar(&c.opts.Atomic, "atomic", false, "change nothing unless every row can be applied (at most 10,000 rows)")
	fs.BoolVar(&c.progress, "progress", false, "run each request as an operation on the server and follow its progress (the default from 5,000 rows a request)")
	if err := m.parseFlags(fs, usersImportUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users import takes one FILE.csv (or - for standard input), got %d arguments (run 'allot users import -h' for usage)", fs.NArg())}
	}
	c.file = fs.Arg(0)
	if err := c.remote.finish("users import"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("users import")
	return c, err
}

func (c *usersImportCommand) run(ctx context.Context) error {
	in, total, err := c.open()
	if err != nil {
		return err
	}
	defer in.Close()
	out := newImportOutput(c.remote, c.opts)
	bar := newProgress(c.remote.m.Stderr, "importing", total)
	defer bar.clear()
	err = readImportChunks(in, c.chunkRows(), c.opts.Atomic, func(ch importChunkData) error {
		o := c.opts
		o.LineOffset = ch.lineOffset
		res, shown, err := c.send(ctx, ch, o, bar)
		if err != nil {
			return err
		}
		bar.clear()
		res.Results = append(res.Results, ch.refused...)
		slices.SortFunc(res.Results, func(a, b graph.ImportResult) int { return a.Line - b.Line })
		if err := out.add(res); err != nil {
			return err
		}
		bar.add(ch.rows - shown)
		return nil
	})
	bar.clear()
	if err != nil {
		return err
	}
	return out.finish()
}

// send sends one chunk, as an operation on the server when it has
// asyncUsers rows or more or with --progress; the bar advances as the
// server reports the operation's percentage (planning, then writing), by
// shown rows' worth in all.
func (c *usersImportCommand) send(ctx context.Context, ch importChunkData, o client.ImportOptions, bar *progress) (res *graph.ImportResponse, shown int, err error) {
	if !c.progress && ch.rows < asyncUsers {
		res, err = c.cl.ImportUsers(ctx, ch.body, o)
		return res, 0, err
	}
	res, err = c.cl.ImportUsersAsync(ctx, ch.body, o, func(op graph.Operation) {
		bar.follow(&shown, ch.rows, op.PercentageProgress)
	})
	return res, shown, err
}

// chunkRows is the rows per request: the whole file when atomic.
func (c *usersImportCommand) chunkRows() int {
	if c.opts.Atomic {
		return allot.MaxImportRows
	}
	return importChunk
}

// open opens the file and counts its rows for the progress bar (0 for
// standard input, which is read once).
func (c *usersImportCommand) open() (io.ReadCloser, int, error) {
	if c.file == "-" {
		return io.NopCloser(c.remote.m.Stdin), 0, nil
	}
	f, err := os.Open(c.file)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	cr := csv.NewReader(f)
	cr.FieldsPerRecord, cr.ReuseRecord = -1, true
	for {
		if _, err := cr.Read(); err == io.EOF {
			break
		} else if _, ok := err.(*csv.ParseError); err != nil && !ok {
			f.Close()
			return nil, 0, err
		}
		n++
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, max(n-1, 0), nil
}

// importChunkData is one request's worth of a file.
type importChunkData struct {
	body       []byte               // the header and the chunk's rows, as in the file
	lineOffset int                  // lines of the file before the chunk, less the header's
	rows       int                  // records in the chunk
	refused    []graph.ImportResult // rows refused here: a user's second row
}

// readImportChunks reads a CSV file and calls send with chunks of at most
// n records (the whole file when atomic, refusing more than n), each
// behind the file's header, byte for byte as in the file so that the
// server reads what the file holds and names its lines. A user's second
// row is refused here (the server sees one chunk at a time) and blanked
// out of the chunk.
func readImportChunks(in io.Reader, n int, atomic bool, send func(importChunkData) error) error {
	rec := &recorder{r: in}
	cr := csv.NewReader(rec)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("the file has no CSV header line: its columns must be %s", strings.Join(allot.ImportColumns, ", "))
	}
	h, err := allot.ParseImportHeader(header)
	if err != nil {
		return fmt.Errorf("line 1: %s", allot.ErrorMessage(err))
	}
	head := append([]byte(nil), rec.slice(0, cr.InputOffset())...)
	rec.drop(cr.InputOffset())
	c := &chunker{head: head, send: send}
	seen := allot.ImportSeen{}
	for {
		before := cr.InputOffset()
		r, err := cr.Read()
		if err == io.EOF {
			return c.flush()
		}
		raw := rec.slice(before, cr.InputOffset())
		if err == nil {
			line, _ := cr.FieldPos(0)
			if upn := h.UPN(r); upn != "" {
				if err := seen.Check(upn, line); err != nil {
					c.refuse(line, upn, err)
					raw = blankLines(raw)
				}
			}
		}
		c.add(raw)
		rec.drop(cr.InputOffset())
		switch {
		case atomic && c.data.rows > n:
			return fmt.Errorf("--atomic imports at most %d rows in one transaction and this file has more: split it, or import without --atomic", n)
		case !atomic && c.data.rows >= n:
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
}

// chunker gathers the records of one chunk.
type chunker struct {
	head       []byte
	body       bytes.Buffer
	data       importChunkData
	lineOffset int // the file's lines before the chunk, less the header's
	send       func(importChunkData) error
}

// add appends one record's bytes.
func (c *chunker) add(raw []byte) {
	c.body.Write(raw)
	c.data.rows++
}

// refuse records a row refused before it reaches the server.
func (c *chunker) refuse(line int, upn string, err error) {
	c.data.refused = append(c.data.refused, graph.ImportResult{Line: line, UserPrincipalName: upn,
		Error: &graph.BulkError{Code: "Request_BadRequest", Message: allot.ErrorMessage(err), Target: upn}})
}

// flush sends the chunk, if it has rows, and starts the next one.
func (c *chunker) flush() error {
	if c.data.rows == 0 {
		return nil
	}
	c.data.body = append(append([]byte(nil), c.head...), c.body.Bytes()...)
	c.data.lineOffset = c.lineOffset
	if err := c.send(c.data); err != nil {
		return err
	}
	c.lineOffset += bytes.Count(c.body.Bytes(), []byte{'\n'})
	c.body.Reset()
	c.data = importChunkData{}
	return nil
}

// blankLines keeps only the line breaks of a record, which the server
// then skips as empty lines while the lines after keep their numbers.
func blankLines(raw []byte) []byte {
	return bytes.Repeat([]byte{'\n'}, bytes.Count(raw, []byte{'\n'}))
}

// recorder keeps what is read through it from offset base on, so that
// records can be cut out of the input by offset.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// slice returns the input between two offsets.
func (r *recorder) slice(from, to int64) []byte { return r.buf[from-r.base : to-r.base] }

// drop forgets the input before offset at.
func (r *recorder) drop(at int64) {
	r.buf = append(r.buf[:0:0], r.buf[at-r.base:]...)
	r.base = at
}

// importOutput reports an import's results as they come: refusals and
// changes line by line, then the totals; or one JSON document.
type importOutput struct {
	r      *remote
	opts   client.ImportOptions
	totals graph.ImportTotals
	json   *json.Encoder
	n      int  // results written to the JSON document
	kept   bool // no chunk left its changes unapplied
}

func newImportOutput(r *remote, opts client.ImportOptions) *importOutput {
	o := &importOutput{r: r, opts: opts, kept: true}
	if r.json() {
		o.json = json.NewEncoder(r.m.Stdout)
		fmt.Fprintf(r.m.Stdout, `{"dryRun":%t,"atomic":%t,"results":[`, opts.DryRun, opts.Atomic)
	}
	return o
}

// add reports one chunk's answer.
func (o *importOutput) add(res *graph.ImportResponse) error {
	t := res.Totals // the server's; res.Results also has the rows refused here
	o.totals.Rows += len(res.Results)
	o.totals.Created += t.Created
	o.totals.Updated += t.Updated
	o.totals.Unchanged += t.Unchanged
	o.totals.Refused += len(res.Results) - t.Created - t.Updated - t.Unchanged
	o.totals.LicensesAdded += t.LicensesAdded
	o.totals.LicensesRemoved += t.LicensesRemoved
	if !res.Applied && t.Created+t.Updated > 0 {
		o.kept = false
	}
	for _, r := range res.Results {
		if err := o.result(r); err != nil {
			return err
		}
	}
	return nil
}

// result reports one row.
func (o *importOutput) result(r graph.ImportResult) error {
	if o.json != nil {
		if o.n > 0 {
			fmt.Fprint(o.r.m.Stdout, ",")
		}
		o.n++
		return o.json.Encode(r)
	}
	if r.Error != nil {
		_, err := fmt.Fprintf(o.r.m.Stderr, "line %d: %s: %s\n", r.Line, orDash(r.UserPrincipalName), r.Error.Message)
		return err
	}
	if r.Action == allot.ImportUnchanged {
		return nil
	}
	var what []string
	if len(r.ChangedProperties) > 0 {
		what = append(what, strings.Join(r.ChangedProperties, ","))
	}
	for _, p := range r.LicensesAdded {
		what = append(what, "+"+p)
	}
	for _, p := range r.LicensesRemoved {
		what = append(what, "-"+p)
	}
	_, err := fmt.Fprintf(o.r.m.Stdout, "line %d: %s %s %s\n", r.Line, r.Action, r.UserPrincipalName, strings.Join(what, " "))
	return err
}

// finish writes the totals and says whether anything was refused.
func (o *importOutput) finish() error {
	t := o.totals
	applied := !o.opts.DryRun && o.kept
	if o.json != nil {
		tj, _ := json.Marshal(t)
		fmt.Fprintf(o.r.m.Stdout, `],"applied":%t,"totals":%s}`+"\n", applied && t.Created+t.Updated > 0, tj)
	} else {
		fmt.Fprintf(o.r.m.Stdout, "%s, %s, %s, %s; licenses: %d added, %d removed%s\n",
			plural(t.Created, "user created", "users created"), plural(t.Updated, "updated", "updated"),
			plural(t.Unchanged, "unchanged", "unchanged"), plural(t.Refused, "row refused", "rows refused"),
			t.LicensesAdded, t.LicensesRemoved, o.note())
	}
	if t.Refused > 0 {
		return errReported
	}
	return nil
}

// note says why nothing changed, when nothing did.
func (o *importOutput) note() string {
	switch {
	case o.opts.DryRun:
		return " (dry run: nothing changed)"
	case !o.kept:
		return " (atomic: nothing changed because rows were refused)"
	}
	return ""
}
