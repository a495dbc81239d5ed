package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/allot-project/allot"
)

// This file is allot's own extension for CSV files of users, which the
// CLI's "users import" and "users export" use and the admin center will:
//
//	POST /api/users/import?dryRun=&atomic=&lineOffset=  body text/csv → 200 ImportResponse
//	GET  /api/users/export                                → 200 text/csv, streamed
//
// An import body holds a header and at most allot.MaxImportRows rows, all
// applied in one transaction; a larger file is sent in chunks, each with
// lineOffset (the lines of the file before the chunk's first row, minus
// the header's) so that results name the file's lines. Who may import:
// License, User and Global Administrators (allot.ActionAssignLicenses),
// decided before the body is read; each row is then decided by the
// rules (creating a user and changing its name or sign-in needs a user
// administrator). Exporting needs allot.ActionRead.

func (s *Server) registerUserImportRoutes() {
	s.route("POST /api/users/import", s.bulkWork(refuseImportEarly, s.importUsers))
	s.route("GET /api/users/export", s.exportUsers)
}

// importOptions reads the query of an import.
func importOptions(r *http.Request) (allot.ImportOptions, int, error) {
	var opts allot.ImportOptions
	q := r.URL.Query()
	for name, dst := range map[string]*bool{"dryRun": &opts.DryRun, "atomic": &opts.Atomic} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return opts, 0, badRequest(fmt.Sprintf("Query parameter %s must be true or false, not %q.", name, truncate(v, 20)))
			}
			*dst = b
		}
	}
	offset := 0
	if v := q.Get("lineOffset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return opts, 0, badRequest(fmt.Sprintf("Query parameter lineOffset must be a number of lines, not %q.", truncate(v, 20)))
		}
		offset = n
	}
	return opts, offset, nil
}

func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	if err := allot.Authorize(p, allot.ActionAssignLicenses); err != nil {
		return err
	}
	opts, offset, err := importOptions(r)
	if err != nil {
		return err
	}
	raw, err := s.readBodyLimit(w, r, s.maxBulk)
	if err != nil {
		return err
	}
	rows, refused, err := allot.ParseImportCSV(s.catalog, bytes.NewReader(raw), offset)
	if err != nil {
		return err
	}
	dry := opts.DryRun
	if opts.Atomic && len(refused) > 0 {
		opts.DryRun = true // plan the other rows to report them, write nothing
	}
	if wantsAsync(r) {
		return s.startOperation(w, r, "importUsers", len(rows)+len(refused), s.runImport(p, rows, refused, opts, dry))
	}
	results, err := s.svc.Imports.ImportUsers(r.Context(), p, rows, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.importResponse(append(results, refused...), dry, opts.Atomic))
}

// runImport is the work of an import run as an operation (operation.go):
// the rows refused already count as processed.
func (s *Server) runImport(p allot.Principal, rows []allot.ImportRow, refused []allot.ImportResult, opts allot.ImportOptions, dry bool) operationRun {
	return func(ctx context.Context, progress func(allot.Progress)) (func(io.Writer) error, error) {
		n := len(refused)
		progress(allot.Progress{Planned: n, Total: len(rows) + n})
		opts.Progress = func(p allot.Progress) {
			progress(allot.Progress{Planned: n + p.Planned, Total: n + p.Total, Done: n + p.Done, Work: n + p.Work})
		}
		results, err := s.svc.Imports.ImportUsers(ctx, p, rows, opts)
		if err != nil {
			return nil, err
		}
		resp := s.importResponse(append(results, refused...), dry, opts.Atomic)
		return func(w io.Writer) error { return encodeJSON(w, resp) }, nil
	}
}

// importResponse renders the results, sorted by line, with totals.
func (s *Server) importResponse(results []allot.ImportResult, dryRun, atomic bool) ImportResponse {
	slices.SortFunc(results, func(a, b allot.ImportResult) int { return a.Line - b.Line })
	out := ImportResponse{DryRun: dryRun, Atomic: atomic, Results: make([]ImportResult, len(results))}
	t := &out.Totals
	for i, res := range results {
		ir := ImportResult{Line: res.Line, UserPrincipalName: res.UserPrincipalName, ID: res.UserID, Action: res.Action,
			ChangedProperties: res.Fields, LicensesAdded: s.partNumbers(res.Added), LicensesRemoved: s.partNumbers(res.Removed)}
		t.Rows++
		switch {
		case res.Err != nil:
			ir.ID, ir.Action = "", ""
			ir.Error = bulkErrorDetail(res.Err, res.UserPrincipalName)
			t.Refused++
		case res.Action == allot.ImportCreate:
			t.Created++
		case res.Action == allot.ImportUpdate:
			t.Updated++
		default:
			t.Unchanged++
		}
		if res.Err == nil {
			t.LicensesAdded += len(res.Added)
			t.LicensesRemoved += len(res.Removed)
		}
		out.Results[i] = ir
	}
	out.Applied = !dryRun && !(atomic && t.Refused > 0) && t.Created+t.Updated > 0
	return out
}

// partNumbers names SKUs by skuPartNumber.
func (s *Server) partNumbers(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if sku := s.catalog.SKU(id); sku != nil {
			out[i] = sku.PartNumber
		}
	}
	return out
}

// exportUsers writes every active user as a row of an import file, in
// the order of their ids, a page at a time. The first page is read before
// anything is written, so that a refusal is Graph's error; a failure
// later cuts the response short, which clients see as an error.
func (s *Server) exportUsers(w http.ResponseWriter, r *http.Request) error {
	started, err := allot.ExportUsers(r.Context(), s.svc.Users, s.catalog, principalFrom(r), func() io.Writer {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="users.csv"`)
		return w
	})
	if err != nil && started {
		s.log.ErrorContext(r.Context(), "export cut short", "request_id", infoFrom(r.Context()).id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// ImportResponse is the answer to POST /api/users/import.
type ImportResponse struct {
	DryRun bool `json:"dryRun"`
	Atomic bool `json:"atomic"`
	// Applied says whether changes were written: false for a dry run, an
	// atomic import with a refused row, or nothing to change.
	Applied bool           `json:"applied"`
	Results []ImportResult `json:"results"`
	Totals  ImportTotals   `json:"totals"`
}

// ImportResult is what happened, or would happen, to one row.
type ImportResult struct {
	Line              int        `json:"line"`
	UserPrincipalName string     `json:"userPrincipalName"`
	ID                string     `json:"id,omitempty"`
	Action            string     `json:"action,omitempty"` // create, update, unchanged; absent when refused
	ChangedProperties []string   `json:"changedProperties,omitempty"`
	LicensesAdded     []string   `json:"licensesAdded,omitempty"` // skuPartNumbers
	LicensesRemoved   []string   `json:"licensesRemoved,omitempty"`
	Error             *BulkError `json:"error,omitempty"`
}

// ImportTotals count the rows of an import by outcome, and the licenses
// added and removed by the rows not refused.
type ImportTotals struct {
	Rows            int `json:"rows"`
	Created         int `json:"created"`
	Updated         int `json:"updated"`
	Unchanged       int `json:"unchanged"`
	Refused         int `json:"refused"`
	LicensesAdded   int `json:"licensesAdded"`
	LicensesRemoved int `json:"licensesRemoved"`
}
