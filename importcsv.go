package allot

import (
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
