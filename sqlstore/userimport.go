package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.UserImportService = (*DB)(nil)

// ImportUsers implements allot.UserImportService. Like a bulk change it
// reads the users and seat pools of all rows first (users locked), plans
// every row in memory with allot.PlanUserImport, books seats in memory
// against the locked counters, and only then writes the rows that were
// not refused: a refused row is never written, and with opts.Atomic or
// opts.DryRun nothing is.
func (db *DB) ImportUsers(ctx context.Context, p allot.Principal, rows []allot.ImportRow, opts allot.ImportOptions) ([]allot.ImportResult, error) {
	if err := allot.Authorize(p, allot.ActionAssignLicenses); err != nil {
		return nil, err
	}
	if len(rows) > allot.MaxImportRows {
		return nil, &allot.Error{Code: allot.EINVALID, Count: len(rows), Limit: allot.MaxImportRows,
			Message: fmt.Sprintf("An import takes at most %d rows at once, not %d; send the file in chunks.", allot.MaxImportRows, len(rows))}
	}
	var results []allot.ImportResult
	err := db.update(ctx, func(tx *Tx) (err error) {
		results, err = tx.importRows(ctx, p, rows, opts)
		return err
	})
	return results, err
}

// importUser is one planned row on its way to being written.
type importUser struct {
	before *allot.User // nil for a new user
	plan   *allot.ImportPlan
}

// importState is what the rows of one import are planned against.
type importState struct {
	users   map[string]*allot.User // by lower-case userPrincipalName
	pools   map[string][]allot.SeatPool
	domains []*allot.Domain
	seats   *seatBook
	seen    allot.ImportSeen
}

func (tx *Tx) importRows(ctx context.Context, p allot.Principal, rows []allot.ImportRow, opts allot.ImportOptions) ([]allot.ImportResult, error) {
	st, err := tx.loadImport(ctx, p.TenantID, rows)
	if err != nil {
		return nil, err
	}
	results := make([]allot.ImportResult, len(rows))
	var todo []importUser
	refused := false
	pr := newProgress(opts.Progress, len(rows), 1+bulkWriteSteps)
	for i := range rows {
		if i%bulkChunk == 0 {
			pr.planned(i)
		}
		r := &results[i]
		r.Line, r.UserPrincipalName = rows[i].Line, rows[i].UserPrincipalName
		iu, err := tx.planImportRow(ctx, p, &rows[i], st)
		if err != nil {
			r.Err, refused = err, true
			continue
		}
		r.UserID, r.Action, r.Fields = iu.plan.User.ID, iu.plan.Action, iu.plan.Fields
		if lp := iu.plan.Licenses; lp != nil {
			r.Added, r.Removed = licenseSKUs(lp.Add), licenseSKUs(lp.Remove)
		}
		if iu.plan.Action != allot.ImportUnchanged {
			todo = append(todo, iu)
		}
	}
	if opts.DryRun || (opts.Atomic && refused) || len(todo) == 0 {
		pr.writing(0)
		return results, nil
	}
	return results, tx.writeImport(ctx, p, todo, st.seats, pr)
}

// loadImport reads the users the rows name with their licenses, the
// tenant's domains, and locks the seat pools of every SKU involved.
func (tx *Tx) loadImport(ctx context.Context, tenantID string, rows []allot.ImportRow) (*importState, error) {
	st := &importState{seen: allot.ImportSeen{}}
	upns := make([]string, len(rows))
	skus := map[string]bool{}
	for i, r := range rows {
		upns[i] = r.UserPrincipalName
		for _, id := range r.Licenses {
			skus[id] = true
		}
	}
	var err error
	if st.users, err = tx.importedUsers(ctx, tenantID, upns); err != nil {
		return nil, err
	}
	if st.pools, err = tx.findPools(ctx, tenantID, mapKeys(skus)); err != nil {
		return nil, err
	}
	if err := tx.bulkLicenses(ctx, tenantID, st.users, st.pools); err != nil {
		return nil, err
	}
	if st.pools, err = tx.lockPools(ctx, tenantID, slices.Collect(maps.Keys(st.pools))); err != nil {
		return nil, err
	}
	st.domains, err = tx.findDomains(ctx, tenantID)
	st.seats = newSeatBook(st.pools)
	return st, err
}

// importedUsers reads the active users with the userPrincipalNames, by
// lower-case userPrincipalName, through the userPrincipalName index (no
// ORDER BY on SQLite, whose planner would then walk the whole table in id
// order). PostgreSQL locks them in id order, as bulk changes do.
func (tx *Tx) importedUsers(ctx context.Context, tenantID string, upns []string) (map[string]*allot.User, error) {
	keys := make([]string, len(upns))
	for i, k := range upns {
		keys[i] = strings.ToLower(strings.TrimSpace(k))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	order := ""
	if tx.db.d.rowLocks {
		order = ` ORDER BY u.user_id` + tx.db.d.forUpdate
	}
	out := map[string]*allot.User{}
	for start := 0; start < len(keys); start += bulkChunk {
		chunk := keys[start:min(start+bulkChunk, len(keys))]
		args := keyArgs(tenantID, chunk)
		users, err := tx.queryUsers(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.deleted_at IS NULL AND u.upn_lower IN (`+
			tx.db.d.placeholders(2, len(chunk))+`)`+order, args...)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			out[strings.ToLower(u.UserPrincipalName)] = u
		}
	}
	return out, nil
}

// planImportRow plans one row and books its seats. A row that blocks the
// last Global Administrator is refused here, alone; writeImportedFields
// checks again, for rows of one chunk that block several.
func (tx *Tx) planImportRow(ctx context.Context, p allot.Principal, row *allot.ImportRow, st *importState) (importUser, error) {
	if err := st.seen.Check(row.UserPrincipalName, row.Line); err != nil {
		return importUser{}, err
	}
	u := st.users[strings.ToLower(row.UserPrincipalName)]
	if u == nil {
		if err := allot.CheckUPNDomain(row.UserPrincipalName, st.domains); err != nil {
			return importUser{}, err
		}
	}
	plan, err := allot.PlanUserImport(tx.db.catalog, p, *row, u, st.pools, tx.db.newID(), tx.now)
	if err != nil {
		return importUser{}, err
	}
	if u != nil && u.AccountEnabled && !plan.User.AccountEnabled {
		if err := tx.keepGlobalAdminOf(ctx, p.TenantID, u.ID); err != nil {
			return importUser{}, err
		}
	}
	if plan.Licenses != nil {
		if err := st.seats.book(plan.Licenses); err != nil {
			return importUser{}, err
		}
	}
	return importUser{before: u, plan: plan}, nil
}

// writeImport writes the planned rows: new users and changed fields one
// user at a time, then every license change together as a bulk change
// writes them (seat counters, rows, versions, audit).
func (tx *Tx) writeImport(ctx context.Context, p allot.Principal, todo []importUser, seats *seatBook, pr *progress) error {
	units := 0 // one per user created or updated, bulkWriteSteps per user whose licenses change
	for _, iu := range todo {
		if iu.before == nil || len(iu.plan.Fields) > 0 {
			units++
		}
		if iu.plan.Licenses != nil {
			units += bulkWriteSteps
		}
	}
	pr.writing(units)
	var lics []bulkUser
	written := 0 // users created or updated since the last report
	for _, iu := range todo {
		if written == bulkChunk {
			pr.wrote(written)
			written = 0
		}
		u := iu.plan.User
		switch {
		case iu.before == nil:
			u.Licenses = nil
			if err := tx.createUser(ctx, p, u); err != nil {
				return err
			}
			written++
		case len(iu.plan.Fields) > 0:
			if err := tx.writeImportedFields(ctx, p, iu.before, u); err != nil {
				return err
			}
			written++
		}
		if iu.plan.Licenses != nil {
			u.Licenses = iu.plan.Licenses.Before
			lics = append(lics, bulkUser{user: u, plan: iu.plan.Licenses})
		}
	}
	pr.wrote(written)
	if len(lics) == 0 {
		return nil
	}
	return tx.writeBulk(ctx, p, lics, seats, pr)
}

// writeImportedFields stores the fields of u an import changed and audits
// the change as UpdateUser does.
func (tx *Tx) writeImportedFields(ctx context.Context, p allot.Principal, before, u *allot.User) error {
	if before.AccountEnabled && !u.AccountEnabled {
		if err := tx.keepGlobalAdminOf(ctx, p.TenantID, u.ID); err != nil {
			return err // the last Global Administrator stays able to sign in
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $3, display_lower = $4, usage_location = $5, account_enabled = $6
		WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID, u.DisplayName, strings.ToLower(u.DisplayName), u.UsageLocation, u.AccountEnabled)
	if err != nil {
		return err
	}
	if err := tx.touch(ctx, u); err != nil {
		return err
	}
	return tx.audit(ctx, p, auditEvent{action: allot.AuditUserUpdate, targetType: "user", targetID: u.ID, before: userJSON(before), after: userJSON(u)})
}

// licenseSKUs returns the SKUs of licenses.
func licenseSKUs(ls []allot.License) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.SKUID
	}
	return out
}
