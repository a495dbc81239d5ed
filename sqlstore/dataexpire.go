package sqlstore

import (
	"context"
	"time"

	"github.com/allot-project/allot"
)

// lockExpireUserData is the lock name of the data lifecycle step.
const lockExpireUserData = "expire-user-data"

// ExpireUserData implements allot.DataService. One transaction at a time
// runs it across processes (tryLock): a call that finds another one at
// work returns 0. Each row is changed, and audited, only if it is still as
// it was read (expireOne), so a change is never made or audited twice.
func (db *DB) ExpireUserData(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		n = 0 // update may run this again
		if ok, err := tx.tryLock(ctx, lockExpireUserData); err != nil || !ok {
			return err
		}
		due, err := tx.dueUserData(ctx, now)
		if err != nil {
			return err
		}
		for tenantID, ds := range due {
			k, err := tx.expireTenant(ctx, tenantID, ds, now)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}

// dueUserData reads, by tenant, the users' data due at now.
func (tx *Tx) dueUserData(ctx context.Context, now time.Time) (map[string][]allot.UserData, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id, `+userDataColumns+` FROM user_data WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY tenant_id, user_id`, micros(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]allot.UserData{}
	for rows.Next() {
		var tenantID string
		d, err := scanUserData(prefixScanner{rows, &tenantID}, "")
		if err != nil {
			return nil, err
		}
		d.TenantID = tenantID
		out[tenantID] = append(out[tenantID], d)
	}
	return out, rows.Err()
}

// prefixScanner scans a first column into first and the rest with a
// scanner of the remaining columns.
type prefixScanner struct {
	row   scanner
	first *string
}

func (s prefixScanner) Scan(dest ...any) error {
	return s.row.Scan(append([]any{s.first}, dest...)...)
}

// expireTenant applies allot.NextUserData at now to one tenant's due data
// and audits, as the system, what changed.
func (tx *Tx) expireTenant(ctx context.Context, tenantID string, ds []allot.UserData, now time.Time) (int, error) {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.UserID
	}
	held, err := tx.heldUsers(ctx, tenantID, ids)
	if err != nil {
		return 0, err
	}
	var events []auditEvent
	for _, before := range ds {
		after := allot.NextUserData(tx.db.catalog, before, allot.DataEvent{Kind: allot.DataTimePassed, Held: held[before.UserID], Now: now})
		if after.Equal(&before) {
			continue
		}
		ok, err := tx.expireOne(ctx, before, after)
		if err != nil {
			return 0, err
		}
		if ok {
			im := allot.Impact(before, after, held[before.UserID])
			events = append(events, dataEvent(&im))
			if after.Mailbox != before.Mailbox {
				tx.touchGone(tenantID, before.UserID) // caches read the user back, or forget it if purged
			}
		}
	}
	return len(events), tx.audit(ctx, allot.SystemPrincipal(tenantID, "lifecycle"), events...)
}

// expireOne writes after over before and reports whether the row was
// still before.
func (tx *Tx) expireOne(ctx context.Context, before, after allot.UserData) (bool, error) {
	a := userDataArgs(after)
	res, err := tx.ExecContext(ctx, `UPDATE user_data SET mailbox_state = $3, mailbox_since = $4, mailbox_purge_at = $5, files_state = $6, files_since = $7, files_delete_at = $8, due_at = $9,
		mailbox_plan_id = $14, files_plan_id = $15
		WHERE tenant_id = $1 AND user_id = $2 AND mailbox_state = $10 AND mailbox_since = $11 AND files_state = $12 AND files_since = $13`,
		before.TenantID, before.UserID, a[2], a[4], a[5], a[6], a[7], a[8], a[len(a)-1],
		string(before.Mailbox), micros(before.MailboxSince), string(before.Files), micros(before.FilesSince), after.MailboxPlanID, after.FilesPlanID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
