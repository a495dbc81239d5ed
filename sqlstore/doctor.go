package sqlstore

import (
	"context"
	"fmt"

	"github.com/allot-project/allot"
)

// CounterMismatch is a seat pool whose maintained counter differs from the
// assignment rows it counts.
type CounterMismatch struct {
	TenantID, SKUID, Pool string
	Counter, Rows         int
}

// String describes the mismatch in one line.
func (m CounterMismatch) String() string {
	return fmt.Sprintf("tenant %s SKU %s pool %q: counter says %d, %d licenses assigned", m.TenantID, m.SKUID, m.Pool, m.Counter, m.Rows)
}

// CheckCounters recomputes every seat counter from the license rows and
// returns the pools where they differ; none on a healthy database. It scans
// every license, so it is an operator's check, not a request path.
func (db *DB) CheckCounters(ctx context.Context) ([]CounterMismatch, error) {
	var out []CounterMismatch
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT p.tenant_id, p.sku_id, p.pool, p.consumed, COALESCE(c.n, 0)
			FROM seat_pools p LEFT JOIN (
				SELECT tenant_id, sku_id, pool, COUNT(*) AS n FROM licenses GROUP BY tenant_id, sku_id, pool
			) c ON c.tenant_id = p.tenant_id AND c.sku_id = p.sku_id AND c.pool = p.pool
			WHERE p.consumed <> COALESCE(c.n, 0)
			UNION ALL
			SELECT l.tenant_id, l.sku_id, l.pool, 0, COUNT(*) FROM licenses l
			WHERE NOT EXISTS (SELECT 1 FROM seat_pools p WHERE p.tenant_id = l.tenant_id AND p.sku_id = l.sku_id AND p.pool = l.pool)
			GROUP BY l.tenant_id, l.sku_id, l.pool`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m CounterMismatch
			if err := rows.Scan(&m.TenantID, &m.SKUID, &m.Pool, &m.Counter, &m.Rows); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// Problem is one broken invariant that Doctor found.
type Problem struct {
	Check    string // which invariant: integrity, counter, capacity, pool, over capacity, deleted user, audit
	TenantID string // "" for the whole database
	Detail   string
}

// String describes the problem in one line.
func (p Problem) String() string {
	if p.TenantID == "" {
		return p.Check + ": " + p.Detail
	}
	return fmt.Sprintf("%s: tenant %s: %s", p.Check, p.TenantID, p.Detail)
}

// Doctor checks every invariant of the database and returns the problems
// found, none on a healthy database:
//
//   - integrity: SQLite's own quick_check and foreign key check, and
//     every license names a user (migration 0018 dropped that key); on
//     both engines, every user has a version and every version a user
//     (migration 0019);
//   - counter: every seat counter equals the licenses assigned from its
//     pool (CheckCounters), and no license comes from an unknown pool;
//   - capacity: every pool's stored capacity is what allot.SeatPools
//     computes from its subscriptions;
//   - pool: no license comes from a pool that no subscription backs;
//   - over capacity: no pool whose subscriptions all take assignments has
//     more licenses assigned than seats (the lifecycle may leave a pool
//     over its capacity when a subscription stops taking assignments);
//   - deleted user: a deleted user's licenses are kept apart, never
//     counted;
//   - audit: a tenant holding users has an audit trail.
//
// It reads every row, so it is an operator's check, not a request path.
func (db *DB) Doctor(ctx context.Context) ([]Problem, error) {
	var out []Problem
	bad, err := db.CheckCounters(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range bad {
		out = append(out, Problem{Check: "counter", TenantID: m.TenantID, Detail: fmt.Sprintf("SKU %s pool %q: counter says %d, %d licenses assigned", m.SKUID, m.Pool, m.Counter, m.Rows)})
	}
	err = db.view(ctx, func(tx *Tx) error {
		if db.d.name == "sqlite" {
			if err := tx.checkIntegrity(ctx, &out); err != nil {
				return err
			}
		}
		if err := tx.checkUserVersions(ctx, &out); err != nil {
			return err
		}
		tenants, err := tx.tenantIDs(ctx)
		if err != nil {
			return err
		}
		for _, id := range tenants {
			if err := tx.checkTenant(ctx, id, &out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// checkIntegrity runs SQLite's quick_check and foreign_key_check, and
// checks the licenses' users, which no foreign key does.
func (tx *Tx) checkIntegrity(ctx context.Context, out *[]Problem) error {
	var ok string
	if err := tx.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil {
		return err
	}
	if ok != "ok" {
		*out = append(*out, Problem{Check: "integrity", Detail: ok})
	}
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fk any
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		*out = append(*out, Problem{Check: "integrity", Detail: fmt.Sprintf("a row of %s (rowid %v) refers to a missing row of %s", table, rowid, parent)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tx.checkLicenseUsers(ctx, out)
}

// checkLicenseUsers reports licenses of users that do not exist, which no
// foreign key refuses on SQLite (migration 0018).
func (tx *Tx) checkLicenseUsers(ctx context.Context, out *[]Problem) error {
	return tx.integrityProblems(ctx, `SELECT l.tenant_id, 'a license of SKU ' || l.sku_id || ' names user ' || l.user_id || ', who does not exist'
		FROM licenses l WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = l.tenant_id AND u.user_id = l.user_id) LIMIT 100`, out)
}

// checkUserVersions reports users without a version, whose every change
// would fail, and versions of users that do not exist, which no foreign
// key refuses on SQLite (migration 0019).
func (tx *Tx) checkUserVersions(ctx context.Context, out *[]Problem) error {
	return tx.integrityProblems(ctx, `SELECT * FROM (
		SELECT u.tenant_id, 'user ' || u.user_id || ' has no version: its changes fail until it has one' FROM users u
		WHERE NOT EXISTS (SELECT 1 FROM user_versions v WHERE v.tenant_id = u.tenant_id AND v.user_id = u.user_id)
		UNION ALL
		SELECT v.tenant_id, 'a version names user ' || v.user_id || ', who does not exist' FROM user_versions v
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = v.tenant_id AND u.user_id = v.user_id)) o LIMIT 100`, out)
}

// integrityProblems reports an integrity problem for each row of query,
// which selects a tenant id and the problem's detail.
func (tx *Tx) integrityProblems(ctx context.Context, query string, out *[]Problem) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Problem
		if err := rows.Scan(&p.TenantID, &p.Detail); err != nil {
			return err
		}
		p.Check = "integrity"
		*out = append(*out, p)
	}
	return rows.Err()
}

func (tx *Tx) tenantIDs(ctx context.Context) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id FROM tenants ORDER BY tenant_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// checkTenant checks one tenant's pools against its subscriptions, its
// deleted users' licenses and its audit trail.
func (tx *Tx) checkTenant(ctx context.Context, tenantID string, out *[]Problem) error {
	subs, err := tx.findSubscriptions(ctx, tenantID, "")
	if err != nil {
		return err
	}
	pools, err := tx.findPools(ctx, tenantID, nil)
	if err != nil {
		return err
	}
	checkPools(tenantID, subs, pools, out)
	var deletedHeld, users, events int
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM licenses l JOIN users u ON u.tenant_id = l.tenant_id AND u.user_id = l.user_id WHERE l.tenant_id = $1 AND u.deleted_at IS NOT NULL),
		(SELECT COUNT(*) FROM users WHERE tenant_id = $1),
		(SELECT COUNT(*) FROM (SELECT 1 FROM audit_events WHERE tenant_id = $1 LIMIT 1) e)`, tenantID).Scan(&deletedHeld, &users, &events)
	if err != nil {
		return err
	}
	if deletedHeld > 0 {
		*out = append(*out, Problem{Check: "deleted user", TenantID: tenantID, Detail: fmt.Sprintf("%d licenses of deleted users are counted as assigned", deletedHeld)})
	}
	if users > 0 && events == 0 {
		*out = append(*out, Problem{Check: "audit", TenantID: tenantID, Detail: fmt.Sprintf("%d users and no audit event", users)})
	}
	return nil
}

// checkPools compares the stored pools with what the subscriptions make.
func checkPools(tenantID string, subs []*allot.Subscription, pools map[string][]allot.SeatPool, out *[]Problem) {
	want := allot.SeatPools(subs)
	for sku, ps := range pools {
		for _, sp := range ps {
			w, ok := allot.FindPool(want[sku], sp.SubscriptionID)
			switch {
			case !ok && sp.Consumed > 0:
				*out = append(*out, Problem{Check: "pool", TenantID: tenantID, Detail: fmt.Sprintf("SKU %s pool %q: %d licenses from a pool no subscription backs", sku, sp.SubscriptionID, sp.Consumed)})
			case ok && w.Capacity != sp.Capacity:
				*out = append(*out, Problem{Check: "capacity", TenantID: tenantID, Detail: fmt.Sprintf("SKU %s pool %q: capacity stored %d, its subscriptions give %d", sku, sp.SubscriptionID, sp.Capacity, w.Capacity)})
			case ok && sp.Consumed > sp.Capacity && allTakeAssignments(subs, sku, sp.SubscriptionID):
				*out = append(*out, Problem{Check: "over capacity", TenantID: tenantID, Detail: fmt.Sprintf("SKU %s pool %q: %d licenses assigned, %d seats", sku, sp.SubscriptionID, sp.Consumed, sp.Capacity)})
			}
		}
	}
}

// allTakeAssignments reports whether every subscription of a pool takes
// assignments.
func allTakeAssignments(subs []*allot.Subscription, sku, pool string) bool {
	for _, s := range subs {
		if s.SKUID == sku && s.Pool() == pool && !s.Status.TakesAssignments() {
			return false
		}
	}
	return true
}
