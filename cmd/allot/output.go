package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// table writes aligned columns: call row for the header and each row, then
// flush.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	t.row(header...)
	return t
}

// row writes one row; tabs and newlines inside cells become spaces.
func (t *table) row(cells ...string) {
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	for i, c := range cells {
		cells[i] = clean.Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// rawArray is a JSON array of raw API objects, never null.
func rawArray(items []json.RawMessage) []json.RawMessage {
	if items == nil {
		return []json.RawMessage{}
	}
	return items
}

// isTerminal reports whether w is a terminal (a character device), where a
// progress bar may be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// date renders a Graph DateTimeOffset as a day, "-" when absent.
func date(s string) string {
	if s == "" {
		return "-"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02")
}

// orDash renders an empty cell as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural returns "1 user" or "n users".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// progress draws a bar on a terminal while a multi-user operation runs:
//
//	assigning SPB [##########----------]  500/1000 users
//
// It draws nothing when its writer is not a terminal.
type progress struct {
	w      io.Writer
	on     bool
	label  string
	total  int
	done   int
	drawn  bool
	barLen int
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, on: isTerminal(w), label: label, total: total, barLen: 30}
	p.draw()
	return p
}

// add advances the bar by n users.
func (p *progress) add(n int) {
	p.done += n
	p.draw()
}

// follow advances the bar to pct percent of the n users of one request,
// of which *shown are already shown.
func (p *progress) follow(shown *int, n, pct int) {
	if k := n * pct / 100; k > *shown {
		p.add(k - *shown)
		*shown = k
	}
}

func (p *progress) draw() {
	if !p.on || p.total == 0 {
		return
	}
	filled := p.barLen * min(p.done, p.total) / p.total
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d users", p.label,
		strings.Repeat("#", filled), strings.Repeat("-", p.barLen-filled), p.done, p.total)
	p.drawn = true
}

// clear erases the bar, so that the lines that follow start clean.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
