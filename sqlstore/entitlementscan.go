package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"

	"github.com/allot-project/allot"
)

var _ allot.EntitlementTables = (*DB)(nil)

// ScanEntitlementTables implements allot.EntitlementTables: four scans in
// table order (users, user_versions, user_data, licenses) instead of
// ScanEntitlements' join, which seeks the licenses of each user in turn.
// Rows are read into reused buffers: a million users cost few
// allocations.
func (db *DB) ScanEntitlementTables(ctx context.Context, tenantID string, users func(*allot.UserRow) error, versions func(*allot.VersionRow) error, mailboxes func(*allot.MailboxRow) error, licenses func(*allot.LicenseRow) error) error {
	return db.view(ctx, func(tx *Tx) error {
		if db.d.snapshot != "" {
			if _, err := tx.q.ExecContext(ctx, db.d.snapshot); err != nil {
				return err
			}
		}
		s := &tableScan{tx: tx, tenantID: tenantID, tenants: map[string]string{}}
		var u allot.UserRow
		var created int64
		err := s.each(ctx, `SELECT tenant_id, user_id, upn_lower, account_enabled, deleted_at IS NOT NULL, usage_location, `+db.rowHint()+`,
			upn, display_name, given_name, surname, job_title, created_at FROM users`,
			func(rows *sql.Rows, tenant, id *sql.RawBytes) error {
				if err := rows.Scan(tenant, id, (*sql.RawBytes)(&u.UPNLower), &u.AccountEnabled, &u.Deleted, (*sql.RawBytes)(&u.UsageLocation), &u.Row,
					(*sql.RawBytes)(&u.UPN), (*sql.RawBytes)(&u.DisplayName), (*sql.RawBytes)(&u.GivenName), (*sql.RawBytes)(&u.Surname), (*sql.RawBytes)(&u.JobTitle), &created); err != nil {
					return err
				}
				u.CreatedAt = fromMicros(created)
				return s.row(*tenant, *id, &u.TenantID, &u.UserID, func() error { return users(&u) })
			})
		if err != nil {
			return err
		}
		var v allot.VersionRow
		err = s.each(ctx, `SELECT tenant_id, user_id, version FROM user_versions`, func(rows *sql.Rows, tenant, id *sql.RawBytes) error {
			if err := rows.Scan(tenant, id, &v.Version); err != nil {
				return err
			}
			return s.row(*tenant, *id, &v.TenantID, &v.UserID, func() error { return versions(&v) })
		})
		if err != nil {
			return err
		}
		var m allot.MailboxRow
		err = s.each(ctx, `SELECT tenant_id, user_id, `+checkedMailboxOf("d")+` FROM user_data d`, func(rows *sql.Rows, tenant, id *sql.RawBytes) error {
			if err := rows.Scan(tenant, id, (*sql.RawBytes)(&m.Mailbox)); err != nil {
				return err
			}
			return s.row(*tenant, *id, &m.TenantID, &m.UserID, func() error { return mailboxes(&m) })
		})
		if err != nil {
			return err
		}
		var l allot.LicenseRow
		return s.each(ctx, `SELECT tenant_id, user_id, sku_id, pool, disabled_plans FROM licenses`, func(rows *sql.Rows, tenant, id *sql.RawBytes) error {
			if err := rows.Scan(tenant, id, (*sql.RawBytes)(&l.SKUID), (*sql.RawBytes)(&l.Pool), (*sql.RawBytes)(&l.DisabledPlans)); err != nil {
				return err
			}
			return s.row(*tenant, *id, &l.TenantID, &l.UserID, func() error { return licenses(&l) })
		})
	})
}

// rowHint returns what the users scan selects as each user's row hint:
// the engine's row locator, or 0 where it has none.
func (db *DB) rowHint() string {
	if db.d.rowID == "" {
		return "0"
	}
	return db.d.rowID
}

// tableScan is the state of ScanEntitlementTables: the tenant ids seen,
// so that each becomes one string.
type tableScan struct {
	tx       *Tx
	tenantID string
	tenants  map[string]string
	last     string
}

// each runs a query over one table, in its storage order, restricted to
// the scan's tenant if it has one, and calls fn for every row with the
// buffers for its tenant and user ids.
func (s *tableScan) each(ctx context.Context, query string, fn func(rows *sql.Rows, tenant, id *sql.RawBytes) error) error {
	args := []any{}
	if s.tenantID != "" {
		query, args = query+` WHERE tenant_id = $1`, []any{s.tenantID}
	}
	rows, err := s.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var tenant, id sql.RawBytes
	for rows.Next() {
		if err := fn(rows, &tenant, &id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// row fills a row's tenant and user ids from the buffers and calls fn;
// rows whose user id is not a GUID are skipped (no check can name them).
func (s *tableScan) row(tenant, id []byte, tenantID *string, userID *allot.GUID, fn func() error) error {
	var ok bool
	if *userID, ok = parseGUID(id); !ok {
		return nil
	}
	*tenantID = s.tenant(tenant)
	return fn()
}

// tenant returns the one string of a tenant id.
func (s *tableScan) tenant(b []byte) string {
	if s.last == string(b) {
		return s.last
	}
	t, ok := s.tenants[string(b)]
	if !ok {
		t = string(b)
		s.tenants[t] = t
	}
	s.last = t
	return t
}

// parseGUID is allot.ParseGUID for bytes, without a string to allocate.
func parseGUID(b []byte) (allot.GUID, bool) {
	var g allot.GUID
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return g, false
	}
	for _, p := range [...]struct{ from, to, at int }{{0, 8, 0}, {9, 13, 4}, {14, 18, 6}, {19, 23, 8}, {24, 36, 10}} {
		if _, err := hex.Decode(g[p.at:], b[p.from:p.to]); err != nil {
			return g, false
		}
	}
	return g, true
}
