package allot

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ParseImportCSV reads a user import file (ImportColumns): the rows to
// import, and the results of the rows refused already (malformed CSV, a
// bad cell, a user's second row), their lines counted after offset (the
// lines of the file sent before, when a large file goes in chunks). A
// missing or bad header, or more than MaxImportRows rows, refuses the whole
// file with EINVALID; the second carries Limit.
func ParseImportCSV(c *Catalog, r io.Reader, offset int) ([]ImportRow, []ImportResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		return nil, nil, &Error{Code: EINVALID, Field: "csv",
			Message: "The CSV has no header line: the columns are " + strings.Join(ImportColumns, ", ") + "."}
	}
	h, err := ParseImportHeader(rec)
	if err != nil {
		return nil, nil, err
	}
	var rows []ImportRow
	var refused []ImportResult
	seen := ImportSeen{}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, refused, nil
		}
		if n > MaxImportRows {
			return nil, nil, &Error{Code: EINVALID, Limit: MaxImportRows,
				Message: fmt.Sprintf("An import takes at most %d rows at once; send the file in chunks.", MaxImportRows)}
		}
		row, err := importRecord(c, h, cr, rec, err, offset, seen)
		if err != nil {
			refused = append(refused, ImportResult{Line: row.Line, UserPrincipalName: row.UserPrincipalName, Err: err})
			continue
		}
		rows = append(rows, row)
	}
}

// importRecord turns one record (or its CSV error readErr) into a row.
func importRecord(c *Catalog, h ImportHeader, cr *csv.Reader, rec []string, readErr error, offset int, seen ImportSeen) (ImportRow, error) {
	var pe *csv.ParseError
	if errors.As(readErr, &pe) {
		return ImportRow{Line: pe.StartLine + offset}, &Error{Code: EINVALID, Field: "csv", Message: "Malformed CSV: " + pe.Err.Error() + "."}
	} else if readErr != nil {
		return ImportRow{}, readErr
	}
	line, _ := cr.FieldPos(0)
	row, err := h.Row(c, rec, line+offset)
	row.Line = line + offset
	if err != nil {
		return row, err
	}
	return row, seen.Check(row.UserPrincipalName, row.Line)
}

// ImportRecord is user u as a record of an export file (ImportColumns),
// which an import reads back: its products by skuPartNumber (a SKU the
// catalog lacks by its id), sorted.
func (c *Catalog) ImportRecord(u *User) []string {
	parts := make([]string, len(u.Licenses))
	for i, l := range u.Licenses {
		parts[i] = l.SKUID
		if sku := c.SKU(l.SKUID); sku != nil {
			parts[i] = sku.PartNumber
		}
	}
	slices.Sort(parts)
	return []string{u.UserPrincipalName, u.DisplayName, u.UsageLocation, strconv.FormatBool(u.AccountEnabled), strings.Join(parts, ";")}
}

// ExportUsers writes every active user p may read as an export file
// (ImportColumns, then ImportRecord rows), in id order, a page of MaxPage
// at a time, flushing out after each page when it can. The first page is
// read before begin is called and anything written, so a refusal comes
// back with started false and nothing sent; an error with started true
// came after some rows were written: the file is cut short. A failure to
// write ends the export without an error: the reader went away.
func ExportUsers(ctx context.Context, s UserService, c *Catalog, p Principal, begin func() io.Writer) (started bool, err error) {
	f := UserFilter{Limit: MaxPage, WithLicenses: true}
	users, more, err := s.FindUsers(ctx, p, f)
	if err != nil {
		return false, err
	}
	out := begin()
	cw := csv.NewWriter(out)
	cw.Write(ImportColumns)
	for {
		for _, u := range users {
			cw.Write(c.ImportRecord(u))
		}
		cw.Flush()
		if cw.Error() != nil || !more {
			return true, nil // a write error: the reader went away, nothing to report
		}
		if fl, ok := out.(interface{ Flush() }); ok {
			fl.Flush()
		}
		f.After = users[len(users)-1].ID
		if users, more, err = s.FindUsers(ctx, p, f); err != nil {
			return true, err
		}
	}
}
