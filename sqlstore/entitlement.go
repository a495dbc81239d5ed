package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.EntitlementSource = (*DB)(nil)

// checkedMailbox is the column of an entitlement's mailbox state, as
// allot.CheckedMailbox gives it: a disconnected mailbox an active hold
// covers is inactive. Only the few disconnected rows look at holds.
var checkedMailbox = checkedMailboxOf("u")

// checkedMailboxOf is checkedMailbox over user_data aliased d, with the
// user's ids read from the alias user.
func checkedMailboxOf(user string) string {
	return `CASE WHEN d.mailbox_state = 'disconnected' AND EXISTS (SELECT 1 FROM holds h
	WHERE h.tenant_id = ` + user + `.tenant_id AND h.user_id = ` + user + `.user_id AND h.released_at IS NULL) THEN 'inactive' ELSE COALESCE(d.mailbox_state, '') END`
}

// ScanEntitlements implements allot.EntitlementSource. One ordered scan of
// users joined to their licenses, grouped in memory, so loading a million
// users costs one sequential read, not a million queries.
func (db *DB) ScanEntitlements(ctx context.Context, tenantID string, fn func(*allot.Entitlement) error) error {
	return db.view(ctx, func(tx *Tx) error {
		where, args := "", []any{}
		if tenantID != "" {
			where, args = " WHERE u.tenant_id = $1", []any{tenantID}
		}
		rows, err := tx.QueryContext(ctx, `SELECT u.tenant_id, u.user_id, u.upn, u.account_enabled, u.deleted_at IS NOT NULL, u.usage_location, COALESCE(v.version, 0), `+profileColumns+`,
			l.sku_id, l.pool, l.disabled_plans, `+checkedMailbox+`
			FROM users u LEFT JOIN `+userVersions+` LEFT JOIN licenses l ON l.tenant_id = u.tenant_id AND l.user_id = u.user_id
			LEFT JOIN user_data d ON d.tenant_id = u.tenant_id AND d.user_id = u.user_id`+where+`
			ORDER BY u.tenant_id, u.user_id, l.sku_id`, args...) // the order of the indexes: no sort
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur *allot.Entitlement
		for rows.Next() {
			var e allot.Entitlement
			var sku, pool, disabled sql.NullString
			var mailbox string
			var pf allot.UserProfile
			var created int64
			if err := rows.Scan(&e.TenantID, &e.UserID, &e.UserPrincipalName, &e.AccountEnabled, &e.Deleted, &e.UsageLocation, &e.Version,
				&pf.DisplayName, &pf.GivenName, &pf.Surname, &pf.JobTitle, &created, &sku, &pool, &disabled, &mailbox); err != nil {
				return err
			}
			pf.CreatedAt, e.Profile = fromMicros(created), &pf
			e.Mailbox, e.MailboxKnown = allot.MailboxState(mailbox), true
			if cur == nil || cur.UserID != e.UserID || cur.TenantID != e.TenantID {
				if cur != nil {
					if err := fn(cur); err != nil {
						return err
					}
				}
				cur = &e
			}
			if sku.Valid {
				cur.Licenses = append(cur.Licenses, allot.License{SKUID: sku.String, SubscriptionID: pool.String, DisabledPlans: splitPlans(disabled.String)})
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if cur != nil {
			return fn(cur)
		}
		return nil
	})
}

// userVersions joins the version (v.version) of the user u, a table of its
// own (migration 0019) that only the changes write; with LEFT JOIN, a
// user without one, which allot doctor reports, reads as version 0.
const userVersions = `user_versions v ON v.tenant_id = u.tenant_id AND v.user_id = u.user_id`

// profileColumns are the columns of a user's allot.UserProfile, the
// creation time in microseconds.
const profileColumns = `u.display_name, u.given_name, u.surname, u.job_title, u.created_at`

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
			args := keyArgs(tenantID, ids)
			users, err := tx.QueryContext(ctx, `SELECT u.tenant_id, u.user_id, u.upn, u.account_enabled, u.deleted_at IS NOT NULL, u.usage_location, COALESCE(v.version, 0), `+profileColumns+`, `+checkedMailbox+`
				FROM users u LEFT JOIN `+userVersions+` LEFT JOIN user_data d ON d.tenant_id = u.tenant_id AND d.user_id = u.user_id
				WHERE u.tenant_id = $1 AND u.user_id IN (`+tx.db.d.placeholders(2, len(ids))+`)`, args...)
			if err != nil {
				return err
			}
			var chunk []*allot.Entitlement
			for users.Next() {
				e := &allot.Entitlement{MailboxKnown: true, Profile: &allot.UserProfile{}}
				var mailbox string
				var created int64
				pf := e.Profile
				if err := users.Scan(&e.TenantID, &e.UserID, &e.UserPrincipalName, &e.AccountEnabled, &e.Deleted, &e.UsageLocation, &e.Version,
					&pf.DisplayName, &pf.GivenName, &pf.Surname, &pf.JobTitle, &created, &mailbox); err != nil {
					users.Close()
					return err
				}
				pf.CreatedAt = fromMicros(created)
				e.Mailbox = allot.MailboxState(mailbox)
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
			s := allot.Subscription{ID: id, OwnerType: owner}
			k.Pool = s.Pool()
			out[k] = out[k] || allot.SubscriptionStatus(status).KeepsAccess()
		}
		return rows.Err()
	})
	return out, err
}
