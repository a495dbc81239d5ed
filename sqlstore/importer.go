package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

// ImportSet is a whole tenant to write at once.
type ImportSet struct {
	Tenant        *allot.Tenant
	Subscriptions []*allot.Subscription
	Users         []*allot.User // with their Licenses
}

// Import writes a new tenant with its subscriptions, users and licenses in
// one transaction of multi-row statements: the operator's path for loading
// a large data set (a benchmark's, or one exported from elsewhere). It
// validates shapes (users, subscriptions, known SKUs) but not the
// assignment rules, audits the tenant's creation as one event (not each
// row), and sets every seat counter from the rows it wrote. Users whose
// licenses carry a mailbox or files get them provisioned (user_data), as
// an assignment would. Ids must be set.
func (db *DB) Import(ctx context.Context, set ImportSet) error {
	if err := db.validateImport(set); err != nil {
		return err
	}
	t := set.Tenant
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.insertTenant(ctx, t); err != nil {
			return err
		}
		if err := tx.importSubscriptions(ctx, set.Subscriptions); err != nil {
			return err
		}
		if err := tx.importUsers(ctx, t.ID, set.Users); err != nil {
			return err
		}
		tx.change(t.ID).All = true
		return tx.importPools(ctx, t.ID, set) // insertTenant audited the tenant
	})
	if err != nil || len(set.Users) < analyzeAfter {
		return err
	}
	// Refresh the planner's statistics: without them PostgreSQL may scan a
	// freshly filled table where an index lookup is due. SQLite samples
	// (analysis_limit) so that this stays quick on a large file.
	return db.update(ctx, func(tx *Tx) error {
		if db.d.analyzePrelude != "" {
			if _, err := tx.ExecContext(ctx, db.d.analyzePrelude); err != nil {
				return err
			}
		}
		for _, table := range []string{"users", "licenses", "seat_pools", "subscriptions"} {
			if _, err := tx.ExecContext(ctx, "ANALYZE "+table); err != nil {
				return err
			}
		}
		return nil
	})
}

// validateImport normalizes and validates the shapes of what an import
// writes (users on the tenant's domain), and gives every row the
// tenant's id.
func (db *DB) validateImport(set ImportSet) error {
	t := set.Tenant
	t.ID = strings.ToLower(t.ID)
	if t.ID == "" {
		return &allot.Error{Code: allot.EINVALID, Field: "id", Message: "An imported tenant needs its id."}
	}
	if err := t.Validate(); err != nil {
		return err
	}
	for _, s := range set.Subscriptions {
		s.TenantID = t.ID
		if err := s.Validate(db.catalog); err != nil {
			return err
		}
	}
	domains := []*allot.Domain{{Name: t.Domain, IsVerified: true}}
	for _, u := range set.Users {
		u.TenantID = t.ID
		if err := u.Validate(); err != nil {
			return err
		}
		if err := allot.CheckUPNDomain(u.UserPrincipalName, domains); err != nil {
			return err
		}
	}
	return nil
}

// analyzeAfter is the size of an import that refreshes the planner's
// statistics. ANALYZE walks whole tables, so a hundred small tenants
// imported one by one must not each pay for it (it was 85 % of the
// benchmark data set's import).
const analyzeAfter = 10_000

// insertRows writes rows of n columns with multi-row INSERTs. Where the
// dialect allows it (sharedValues), the values every row of a statement
// shares are bound once, the others listed per row: a bulk change's
// license rows differ only by user, its audit subject rows by user and
// record, so most of the values it bound were copies (binding was 10 % of
// W6's CPU).
func (tx *Tx) insertRows(ctx context.Context, head string, n int, rows [][]any) error {
	per := 6000 / n
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var shared uint64
		if tx.db.d.sharedValues && len(chunk) > 1 {
			shared = sharedColumns(chunk, n)
		}
		var q strings.Builder
		args := make([]any, 0, n*len(chunk))
		if shared == 0 || shared == 1<<n-1 {
			q.WriteString(head + " VALUES ")
			for i, r := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(" + tx.db.d.placeholders(len(args)+1, n) + ")")
				args = append(args, r...)
			}
		} else {
			q.WriteString(head + " SELECT ")
			v := 0 // the columns listed per row
			for col := range n {
				if col > 0 {
					q.WriteString(", ")
				}
				if shared&(1<<col) != 0 {
					args = append(args, chunk[0][col])
					q.WriteString(tx.db.d.placeholders(len(args), 1))
				} else {
					v++
					q.WriteString("column" + strconv.Itoa(v))
				}
			}
			q.WriteString(" FROM (VALUES ")
			for i, r := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(" + tx.db.d.placeholders(len(args)+1, v) + ")")
				for col, x := range r {
					if shared&(1<<col) == 0 {
						args = append(args, x)
					}
				}
			}
			q.WriteString(")")
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// sharedColumns returns the bits of the columns (at most 64) whose value
// is the same in every row.
func sharedColumns(rows [][]any, n int) uint64 {
	if n > 64 {
		return 0
	}
	var shared uint64
	for col := range n {
		if slices.IndexFunc(rows[1:], func(r []any) bool { return !sameValue(r[col], rows[0][col]) }) < 0 {
			shared |= 1 << col
		}
	}
	return shared
}

// sameValue reports whether a and b are the same value of a type a row
// may hold; values of other types (a []byte) are never the same. (An
// interface comparison panics only when both hold one uncomparable type.)
func sameValue(a, b any) bool {
	switch a.(type) {
	case nil, string, int64, int, bool, sql.NullInt64:
		return a == b
	}
	return false
}

func (tx *Tx) importSubscriptions(ctx context.Context, subs []*allot.Subscription) error {
	rows := make([][]any, 0, len(subs))
	for _, s := range subs {
		rows = append(rows, []any{s.ID, s.TenantID, s.SKUID, string(s.Status), s.Quantity, s.IsTrial, s.RecurringBilling,
			s.OwnerType, s.PurchasedBy, micros(s.CreatedAt), micros(s.NextLifecycleAt), s.Term, micros(s.CommitmentEndAt), micros(s.CancellableUntil), s.TrialExtended})
	}
	return tx.insertRows(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`)`, 15, rows)
}

func (tx *Tx) importUsers(ctx context.Context, tenantID string, users []*allot.User) error {
	const batch = 20000 // rows built per round, to bound memory
	for start := 0; start < len(users); start += batch {
		part := users[start:min(start+batch, len(users))]
		urows, vrows := make([][]any, 0, len(part)), make([][]any, 0, len(part))
		var lrows [][]any
		for _, u := range part {
			urows = append(urows, []any{tenantID, u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName), u.DisplayName,
				strings.ToLower(u.DisplayName), u.GivenName, u.Surname, u.JobTitle, u.UsageLocation, u.AccountEnabled, micros(u.CreatedAt)})
			vrows = append(vrows, []any{tenantID, u.ID, 1})
			for _, l := range u.Licenses {
				lrows = append(lrows, []any{tenantID, u.ID, l.SKUID, l.Pool(), strings.Join(l.DisabledPlans, ","), micros(l.AssignedAt)})
			}
		}
		if err := tx.insertRows(ctx, `INSERT INTO users (tenant_id, user_id, upn, upn_lower, display_name, display_lower, given_name, surname, job_title, usage_location, account_enabled, created_at)`, 12, urows); err != nil {
			return err
		}
		if err := tx.insertRows(ctx, tx.db.d.insertOrFail()+` user_versions (tenant_id, user_id, version)`, 3, vrows); err != nil {
			return err
		}
		if err := tx.insertRows(ctx, tx.db.d.insertOrFail()+` licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at)`, 6, lrows); err != nil {
			return err
		}
		if err := tx.writeUserData(ctx, tenantID, tx.importedData(tenantID, part)); err != nil {
			return err
		}
	}
	return nil
}

// importedData is the data state the users' licenses give them, as if
// each had been assigned its licenses now (allot.NextUserData): a mailbox
// and files provisioned for those whose licenses carry them.
func (tx *Tx) importedData(tenantID string, users []*allot.User) []allot.UserData {
	var out []allot.UserData
	for _, u := range users {
		d := allot.NextUserData(tx.db.catalog, allot.UserData{TenantID: tenantID, UserID: u.ID, UserPrincipalName: u.UserPrincipalName},
			allot.DataEvent{Kind: allot.DataLicensesChanged, After: u.Licenses, Now: tx.dataNow()})
		if d.Mailbox != allot.MailboxNone || d.Files != allot.FilesNone {
			out = append(out, d)
		}
	}
	return out
}

// importPools creates every pool of the imported subscriptions, with its
// capacity (allot.SeatPools), and counts the imported licenses into it
// (allot.CountAssignments).
func (tx *Tx) importPools(ctx context.Context, tenantID string, set ImportSet) error {
	pools := allot.SeatPools(set.Subscriptions)
	if err := allot.CountAssignments(pools, set.Users); err != nil {
		return err
	}
	var rows [][]any
	for sku, ps := range pools {
		for _, sp := range ps {
			rows = append(rows, []any{tenantID, sku, sp.SubscriptionID, sp.PurchasedBy, sp.Capacity, sp.Consumed})
		}
	}
	return tx.insertRows(ctx, `INSERT INTO seat_pools (tenant_id, sku_id, pool, purchased_by, capacity, consumed)`, 6, rows)
}
