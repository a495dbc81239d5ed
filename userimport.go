package allot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ImportColumns are the columns of a user import and export file, in the
// order an export writes them. An import file has each of them exactly
// once, in any order, named case-insensitively.
var ImportColumns = []string{"userPrincipalName", "displayName", "usageLocation", "accountEnabled", "licenses"}

// MaxImportRows is the most rows one import call takes: a chunk of a
// large file, or a whole file imported atomically.
const MaxImportRows = 10000

// ImportHeader maps the columns of an import file to their positions.
type ImportHeader struct {
	pos []int // pos[i] is the position of ImportColumns[i] in a record
	n   int   // the number of columns
}

// ParseImportHeader reads the header record of an import file. It returns
// EINVALID, naming the column, for a missing, unknown or repeated column.
func ParseImportHeader(rec []string) (ImportHeader, error) {
	h := ImportHeader{pos: make([]int, len(ImportColumns)), n: len(rec)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	for at, name := range rec {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF"))
		i := slices.IndexFunc(ImportColumns, func(c string) bool { return strings.EqualFold(c, name) })
		switch {
		case i < 0:
			return h, &Error{Code: EINVALID, Field: name, Message: fmt.Sprintf("Unknown column %q: the columns are %s.", name, strings.Join(ImportColumns, ", "))}
		case h.pos[i] >= 0:
			return h, &Error{Code: EINVALID, Field: ImportColumns[i], Message: fmt.Sprintf("Column %s appears twice.", ImportColumns[i])}
		}
		h.pos[i] = at
	}
	for i, at := range h.pos {
		if at < 0 {
			return h, &Error{Code: EINVALID, Field: ImportColumns[i], Message: fmt.Sprintf("Column %s is missing: the columns are %s.", ImportColumns[i], strings.Join(ImportColumns, ", "))}
		}
	}
	return h, nil
}

// UPN returns the userPrincipalName cell of a record, trimmed, or "" when
// the record is too short to have one.
func (h ImportHeader) UPN(rec []string) string {
	if at := h.pos[0]; at < len(rec) {
		return strings.TrimSpace(rec[at])
	}
	return ""
}

// ImportRow is one user of an import file: what the user must look like
// afterwards. Licenses are skuIds; the user ends up holding exactly them.
type ImportRow struct {
	Line              int // the line of the file the row starts on
	UserPrincipalName string
	DisplayName       string
	UsageLocation     string
	AccountEnabled    bool
	Licenses          []string
}

// Row reads one record of an import file starting on line. SKUs are named
// by skuPartNumber (case-insensitive), separated by ";"; an empty cell
// means no license. It returns EINVALID for a record of the wrong length,
// invalid UTF-8, a bad userPrincipalName or accountEnabled, or a SKU listed
// twice, and EINVALIDLICENSE for a SKU the catalog does not know.
func (h ImportHeader) Row(c *Catalog, rec []string, line int) (ImportRow, error) {
	r := ImportRow{Line: line, UserPrincipalName: h.UPN(rec)} // named in the errors of its row
	if len(rec) != h.n {
		return r, &Error{Code: EINVALID, Count: len(rec), Limit: h.n,
			Message: fmt.Sprintf("The row has %d fields; the header has %d.", len(rec), h.n)}
	}
	for i, at := range h.pos {
		if !utf8.ValidString(rec[at]) {
			return r, &Error{Code: EINVALID, Field: ImportColumns[i], Message: fmt.Sprintf("Column %s is not valid UTF-8.", ImportColumns[i])}
		}
	}
	cell := func(i int) string { return strings.TrimSpace(rec[h.pos[i]]) }
	r.DisplayName, r.UsageLocation = cell(1), strings.ToUpper(cell(2))
	if err := ValidateUPN(r.UserPrincipalName); err != nil {
		return r, err
	}
	switch strings.ToLower(cell(3)) {
	case "true":
		r.AccountEnabled = true
	case "false":
	default:
		return r, &Error{Code: EINVALID, Field: "accountEnabled", Value: cell(3), UserID: r.UserPrincipalName,
			Message: fmt.Sprintf("accountEnabled must be true or false, not %q.", cell(3))}
	}
	var err error
	r.Licenses, err = importLicenses(c, r.UserPrincipalName, cell(4))
	return r, err
}

// importLicenses resolves a licenses cell to skuIds.
func importLicenses(c *Catalog, upn, cell string) ([]string, error) {
	var ids []string
	for _, part := range strings.Split(cell, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sku := c.SKUByPartNumber(part)
		switch {
		case sku == nil:
			return nil, &Error{Code: EINVALIDLICENSE, Field: "licenses", Value: part, UserID: upn,
				Message: fmt.Sprintf("Unknown product %q: name products by skuPartNumber (allot skus lists them).", part)}
		case slices.Contains(ids, sku.ID):
			return nil, &Error{Code: EINVALID, Field: "licenses", Value: part, SKUID: sku.ID, UserID: upn,
				Message: fmt.Sprintf("Product %s is listed twice.", sku.PartNumber)}
		}
		ids = append(ids, sku.ID)
	}
	return ids, nil
}

// ImportSeen remembers the users of an import file by lower-case
// userPrincipalName, to refuse a second row for one user.
type ImportSeen map[string]int

// Check records the row's user, or returns EINVALID if an earlier line of
// the file already has it: a file lists each user once.
func (s ImportSeen) Check(upn string, line int) error {
	key := strings.ToLower(upn)
	if first, ok := s[key]; ok {
		return &Error{Code: EINVALID, Field: "userPrincipalName", Value: upn, UserID: upn, Count: first,
			Message: fmt.Sprintf("User %s is already on line %d; a file lists each user once.", upn, first)}
	}
	s[key] = line
	return nil
}

// The actions an import takes for a row.
const (
	ImportCreate    = "create"
	ImportUpdate    = "update"
	ImportUnchanged = "unchanged"
)

// ImportPlan is what an import does for one row: create a user or update
// one, and the licenses to add and remove.
type ImportPlan struct {
	Action   string
	User     *User      // the user as it will be: new, or updated (licenses excluded)
	Update   UserUpdate // the fields of an existing user that change
	Fields   []string   // the names of those fields, for reports
	Change   LicenseChange
	Licenses *LicensePlan // nil when the licenses stay
}

// PlanUserImport decides what importing row does to u, the active user
// with the row's userPrincipalName and its licenses (nil if none exists;
// then the new user gets newID). An import needs ActionAssignLicenses,
// even for a row that changes nothing. Creating needs ActionManageUsers;
// changing a user AuthorizeUserUpdate (so License Administrators may
// change the usage location alone); the licenses every rule of
// PlanLicenseChange. The user ends up with exactly the row's licenses:
// SKUs not listed are removed, new ones added with every service plan on,
// and SKUs kept keep their disabled plans. pools holds the seat pools of
// the SKUs the row names or u holds; seats are counted by the caller.
func PlanUserImport(c *Catalog, p Principal, row ImportRow, u *User, pools map[string][]SeatPool, newID string, now time.Time) (*ImportPlan, error) {
	if err := Authorize(p, ActionAssignLicenses); err != nil {
		return nil, err
	}
	plan, err := planImportUser(p, row, u, newID, now)
	if err != nil {
		return nil, err
	}
	for _, id := range row.Licenses {
		if plan.User.License(id) == nil {
			plan.Change.Add = append(plan.Change.Add, AssignedLicense{SKUID: id, DisabledPlans: []string{}})
		}
	}
	for _, l := range plan.User.Licenses {
		if !slices.Contains(row.Licenses, l.SKUID) {
			plan.Change.Remove = append(plan.Change.Remove, l.SKUID)
		}
	}
	after := plan.User.Licenses
	if len(plan.Change.Add)+len(plan.Change.Remove) > 0 {
		if plan.Licenses, err = PlanLicenseChange(c, p, plan.User, pools, plan.Change, now); err != nil {
			return nil, err
		}
		after = plan.Licenses.After
	}
	if u != nil {
		if err := CheckUsageLocationKept(&User{ID: u.ID, UsageLocation: plan.User.UsageLocation, Licenses: after}, plan.Update); err != nil {
			return nil, err
		}
	}
	if plan.Action == ImportUnchanged && plan.Licenses != nil {
		plan.Action = ImportUpdate
	}
	return plan, nil
}

// planImportUser plans the user's own fields: a new user, or the update
// of an existing one.
func planImportUser(p Principal, row ImportRow, u *User, newID string, now time.Time) (*ImportPlan, error) {
	if u == nil {
		if err := Authorize(p, ActionManageUsers); err != nil {
			return nil, err
		}
		nu := &User{ID: newID, TenantID: p.TenantID, UserPrincipalName: row.UserPrincipalName, DisplayName: row.DisplayName,
			UsageLocation: row.UsageLocation, AccountEnabled: row.AccountEnabled, CreatedAt: now}
		if err := nu.Validate(); err != nil {
			return nil, err
		}
		return &ImportPlan{Action: ImportCreate, User: nu}, nil
	}
	plan := &ImportPlan{Action: ImportUnchanged}
	if row.DisplayName != u.DisplayName {
		plan.Update.DisplayName, plan.Fields = &row.DisplayName, append(plan.Fields, "displayName")
	}
	if row.UsageLocation != u.UsageLocation {
		plan.Update.UsageLocation, plan.Fields = &row.UsageLocation, append(plan.Fields, "usageLocation")
	}
	if row.AccountEnabled != u.AccountEnabled {
		plan.Update.AccountEnabled, plan.Fields = &row.AccountEnabled, append(plan.Fields, "accountEnabled")
	}
	nu := *u
	nu.Licenses = slices.Clone(u.Licenses)
	plan.User = &nu
	if len(plan.Fields) == 0 {
		return plan, nil
	}
	plan.Action = ImportUpdate
	if err := AuthorizeUserUpdate(p, plan.Update); err != nil {
		return nil, err
	}
	if err := plan.Update.Apply(&nu); err != nil {
		return nil, err
	}
	return plan, nil
}

// ImportOptions say how an import runs.
type ImportOptions struct {
	// DryRun plans every row and reports, writing nothing.
	DryRun bool
	// Atomic writes nothing if one row is refused; otherwise each row
	// succeeds or fails alone.
	Atomic bool
	// Progress, when not nil, is told as the import advances (Progress:
	// rows planned, then the writing); it must return quickly and must
	// not call the store.
	Progress func(Progress)
}

// ImportResult is what happened to one row of an import.
type ImportResult struct {
	Line              int
	UserPrincipalName string
	UserID            string   // "" for a refused row of a user not created
	Action            string   // ImportCreate, ImportUpdate, ImportUnchanged; "" when refused
	Fields            []string // the user's fields changed
	Added, Removed    []string // skuIds of the licenses added and removed
	Err               error    // the refusal, an *Error; nil on success
}

// UserImportService creates and updates users and their licenses from
// import rows.
type UserImportService interface {
	// ImportUsers applies rows (at most MaxImportRows, each user once) in
	// one transaction, planning each with PlanUserImport and counting
	// seats across rows; every change is audited. Needs
	// ActionAssignLicenses before anything is read; each row is then
	// decided by the rules PlanUserImport applies. A refused row is
	// reported in its result and, unless Atomic, does not stop the others;
	// with Atomic, or DryRun, nothing is written. Returns EINVALID for too
	// many rows.
	ImportUsers(ctx context.Context, p Principal, rows []ImportRow, opts ImportOptions) ([]ImportResult, error)
}
