package sqlstore

import (
	"context"
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
// assignment rules, writes no audit events, and sets every seat counter
// from the rows it wrote. Ids must be set.
func (db *DB) Import(ctx context.Context, set ImportSet) error {
	t := set.Tenant
	t.ID = strings.ToLower(t.ID)
	if err := t.Validate(); err != nil {
		return err
	}
	if !allot.IsGUID(t.ID) {
		return allot.Errorf(allot.EINVALID, "Tenant id %q is not a GUID.", t.ID)
	}
	for _, s := range set.Subscriptions {
		s.TenantID = t.ID
		if err := s.Validate(db.catalog); err != nil {
			return err
		}
	}
	for _, u := range set.Users {
		u.TenantID = t.ID
		if err := u.Validate(); err != nil {
			return err
		}
	}
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (tenant_id, name, domain, created_at) VALUES ($1, $2, $3, $4)`,
			t.ID, t.Name, t.Domain, micros(t.CreatedAt)); err != nil {
			return err
		}
		if err := tx.importSubscriptions(ctx, set.Subscriptions); err != nil {
			return err
		}
		if err := tx.importUsers(ctx, t.ID, set.Users); err != nil {
			return err
		}
		tx.change(t.ID).All = true
		return tx.importPools(ctx, t.ID, set)
	})
	if err != nil || len(set.Users) < analyzeAfter {
		return err
	}
	// Refresh the planner's statistics: without them PostgreSQL may scan a
	// freshly filled table where an index lookup is due. SQLite samples
	// (analysis_limit) so that this stays quick on a large file.
	return db.update(ctx, func(tx *Tx) error {
		if db.d.name == "sqlite" {
			if _, err := tx.ExecContext(ctx, "PRAGMA analysis_limit = 1000"); err != nil {
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

// analyzeAfter is the size of an import that refreshes the planner's
// statistics. ANALYZE walks whole tables, so a hundred small tenants
// imported one by one must not each pay for it (it was 85 % of the
// benchmark data set's import).
const analyzeAfter = 10_000

// insertRows writes rows of n columns with multi-row INSERTs.
func (tx *Tx) insertRows(ctx context.Context, head string, n int, rows [][]any) error {
	per := 6000 / n
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var q strings.Builder
		q.WriteString(head + " VALUES ")
		args := make([]any, 0, n*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + tx.db.d.placeholders(len(args)+1, n) + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) importSubscriptions(ctx context.Context, subs []*allot.Subscription) error {
	rows := make([][]any, 0, len(subs))
	for _, s := range subs {
		rows = append(rows, []any{s.ID, s.TenantID, s.SKUID, string(s.Status), s.Quantity, s.IsTrial, s.RecurringBilling,
			s.OwnerType, s.PurchasedBy, micros(s.CreatedAt), micros(s.NextLifecycleAt)})
	}
	return tx.insertRows(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`)`, 11, rows)
}

func (tx *Tx) importUsers(ctx context.Context, tenantID string, users []*allot.User) error {
	const batch = 20000 // rows built per round, to bound memory
	for start := 0; start < len(users); start += batch {
		part := users[start:min(start+batch, len(users))]
		urows := make([][]any, 0, len(part))
		var lrows [][]any
		for _, u := range part {
			urows = append(urows, []any{tenantID, u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName), u.DisplayName,
				strings.ToLower(u.DisplayName), u.GivenName, u.Surname, u.JobTitle, u.UsageLocation, u.AccountEnabled, micros(u.CreatedAt)})
			for _, l := range u.Licenses {
				lrows = append(lrows, []any{tenantID, u.ID, l.SKUID, l.Pool(), strings.Join(l.DisabledPlans, ","), micros(l.AssignedAt)})
			}
		}
		if err := tx.insertRows(ctx, `INSERT INTO users (tenant_id, user_id, upn, upn_lower, display_name, display_lower, given_name, surname, job_title, usage_location, account_enabled, created_at)`, 12, urows); err != nil {
			return err
		}
		if err := tx.insertRows(ctx, `INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at)`, 6, lrows); err != nil {
			return err
		}
	}
	return nil
}

// importPools creates every pool of the imported subscriptions, with its
// capacity, and counts the imported licenses into it.
func (tx *Tx) importPools(ctx context.Context, tenantID string, set ImportSet) error {
	type key struct{ sku, pool string }
	capacity, buyer := map[key]int{}, map[key]string{}
	for _, s := range set.Subscriptions {
		k := key{s.SKUID, s.Pool()}
		capacity[k] += 0 // every pool exists, even one without Enabled units
		if s.Status.TakesAssignments() {
			capacity[k] += s.Quantity
		}
		buyer[k] = s.PurchasedBy
	}
	consumed := map[key]int{}
	for _, u := range set.Users {
		for _, l := range u.Licenses {
			k := key{l.SKUID, l.Pool()}
			if _, ok := capacity[k]; !ok {
				return allot.Errorf(allot.EINVALID, "User %s holds %s from a pool no imported subscription backs.", u.UserPrincipalName, l.SKUID)
			}
			consumed[k]++
		}
	}
	rows := make([][]any, 0, len(capacity))
	for k, c := range capacity {
		rows = append(rows, []any{tenantID, k.sku, k.pool, buyer[k], c, consumed[k]})
	}
	return tx.insertRows(ctx, `INSERT INTO seat_pools (tenant_id, sku_id, pool, purchased_by, capacity, consumed)`, 6, rows)
}
