package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.EntitlementSource = (*DB)(nil)

// ScanEntitlements implements allot.EntitlementSource. It reads users and
// licenses in two ordered scans merged in memory, so loading a million
// users costs two sequential reads, not a million queries.
func (db *DB) ScanEntitlements(ctx context.Context, tenantID string, fn func(*allot.Entitlement) error) error {
	return db.view(ctx, func(tx *Tx) error {
		where, args := "", []any{}
		if tenantID != "" {
			where, args = " WHERE tenant_id = $1", []any{tenantID}
		}
		users, err := tx.QueryContext(ctx, `SELECT tenant_id, user_id, upn, account_enabled, deleted_at IS NOT NULL, version FROM users`+where+` ORDER BY tenant_id, user_id`, args...)
		if err != nil {
			return err
		}
		defer users.Close()
		lics, err := tx.QueryContext(ctx, `SELECT tenant_id, user_id, sku_id, pool, disabled_plans FROM licenses`+where+` ORDER BY tenant_id, user_id`, args...)
		if err != nil {
			return err
		}
		defer lics.Close()
		next := licenseCursor{rows: lics}
		for users.Next() {
			e := &allot.Entitlement{}
			if err := users.Scan(&e.TenantID, &e.UserID, &e.UserPrincipalName, &e.AccountEnabled, &e.Deleted, &e.Version); err != nil {
				return err
			}
			if e.Licenses, err = next.upTo(e.TenantID, e.UserID); err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return users.Err()
	})
}

// licenseCursor walks license rows ordered by (tenant, user) alongside the
// users.
type licenseCursor struct {
	rows    *sql.Rows
	pending *struct {
		tenant, user string
		l            allot.License
	}
	done bool
}

// upTo returns the licenses of one user, skipping rows of users before it.
func (c *licenseCursor) upTo(tenant, user string) ([]allot.License, error) {
	var out []allot.License
	for {
		if c.pending == nil && !c.done {
			if !c.rows.Next() {
				c.done = true
				if err := c.rows.Err(); err != nil {
					return nil, err
				}
			} else {
				p := &struct {
					tenant, user string
					l            allot.License
				}{}
				var disabled string
				if err := c.rows.Scan(&p.tenant, &p.user, &p.l.SKUID, &p.l.SubscriptionID, &disabled); err != nil {
					return nil, err
				}
				p.l.DisabledPlans = splitPlans(disabled)
				c.pending = p
			}
		}
		if c.pending == nil {
			return out, nil
		}
		key, want := c.pending.tenant+"/"+c.pending.user, tenant+"/"+user
		switch {
		case key < want:
			c.pending = nil // a license of a user not scanned: impossible with the foreign key
		case key == want:
			out = append(out, c.pending.l)
			c.pending = nil
		default:
			return out, nil
		}
	}
}

func splitPlans(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// FindEntitlements implements allot.EntitlementSource.
func (db *DB) FindEntitlements(ctx context.Context, tenantID string, userIDs []string) ([]*allot.Entitlement, error) {
	var out []*allot.Entitlement
	err := db.view(ctx, func(tx *Tx) error {
		for start := 0; start < len(userIDs); start += 500 {
			ids := userIDs[start:min(start+500, len(userIDs))]
			args := []any{tenantID}
			for _, id := range ids {
				args = append(args, id)
			}
			users, err := tx.QueryContext(ctx, `SELECT tenant_id, user_id, upn, account_enabled, deleted_at IS NOT NULL, version FROM users
				WHERE tenant_id = $1 AND user_id IN (`+placeholders(2, len(ids))+`)`, args...)
			if err != nil {
				return err
			}
			var chunk []*allot.Entitlement
			for users.Next() {
				e := &allot.Entitlement{}
				if err := users.Scan(&e.TenantID, &e.UserID, &e.UserPrincipalName, &e.AccountEnabled, &e.Deleted, &e.Version); err != nil {
					users.Close()
					return err
				}
				chunk = append(chunk, e)
			}
			users.Close()
			if err := users.Err(); err != nil {
				return err
			}
			lics, err := tx.licensesOf(ctx, "licenses", tenantID, ids)
			if err != nil {
				return err
			}
			for _, e := range chunk {
				e.Licenses = lics[e.UserID]
			}
			out = append(out, chunk...)
		}
		return nil
	})
	return out, err
}

// FindPoolAccess implements allot.EntitlementSource.
func (db *DB) FindPoolAccess(ctx context.Context, tenantID string) (map[allot.PoolKey]bool, error) {
	out := map[allot.PoolKey]bool{}
	err := db.view(ctx, func(tx *Tx) error {
		where, args := "", []any{}
		if tenantID != "" {
			where, args = " WHERE tenant_id = $1", []any{tenantID}
		}
		rows, err := tx.QueryContext(ctx, `SELECT tenant_id, sku_id, subscription_id, owner_type, status FROM subscriptions`+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k allot.PoolKey
			var id, owner, status string
			if err := rows.Scan(&k.TenantID, &k.SKUID, &id, &owner, &status); err != nil {
				return err
			}
			if owner == allot.OwnerUser {
				k.Pool = id
			}
			out[k] = out[k] || allot.SubscriptionStatus(status).KeepsAccess()
		}
		return rows.Err()
	})
	return out, err
}
