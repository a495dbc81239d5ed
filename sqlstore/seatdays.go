package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.SeatHistoryService = (*DB)(nil)

// dayMicros is one day in the microseconds audit_events.at counts.
const dayMicros = int64(24 * time.Hour / time.Microsecond)

// seatKey is one row of seat_days.
type seatKey struct {
	tenantID, skuID string
	day             int64 // days since 1970-01-01 UTC
}

// seatDays sums the seat changes of audit events (allot.SeatChange) by
// product and day, to add to seat_days.
type seatDays map[seatKey]allot.Seats

// add counts one event, whose before and after are its JSON records.
func (s seatDays) add(tenantID string, at int64, e auditEvent, before, after string) {
	if e.skuID == "" {
		return
	}
	ev := allot.AuditEvent{Action: e.action, TargetType: e.targetType, TargetID: e.targetID,
		Before: json.RawMessage(before), After: json.RawMessage(after)}
	if ev.TargetType == "users" && ev.TargetID == "" {
		ev.SubjectCount = bulkUsers(ev.After)
	}
	d := allot.SeatChange(&ev)
	if d == (allot.Seats{}) {
		return
	}
	k := seatKey{tenantID, e.skuID, at / dayMicros}
	sum := s[k]
	sum.Assigned += d.Assigned
	sum.Total += d.Total
	s[k] = sum
}

// addSeatDaysSQL adds a change to a product's day.
const addSeatDaysSQL = `INSERT INTO seat_days (tenant_id, sku_id, day, assigned, total) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, sku_id, day) DO UPDATE SET assigned = seat_days.assigned + excluded.assigned, total = seat_days.total + excluded.total`

// write adds the sums to seat_days in the caller's transaction, in key
// order, so that two transactions adding to the same rows lock them in
// the same order (PostgreSQL).
func (s seatDays) write(ctx context.Context, exec func(ctx context.Context, q string, args ...any) (sql.Result, error)) error {
	keys := slices.SortedFunc(maps.Keys(s), func(a, b seatKey) int {
		return cmp.Or(strings.Compare(a.tenantID, b.tenantID), strings.Compare(a.skuID, b.skuID), cmp.Compare(a.day, b.day))
	})
	for _, k := range keys {
		d := s[k]
		if _, err := exec(ctx, addSeatDaysSQL, k.tenantID, k.skuID, k.day, d.Assigned, d.Total); err != nil {
			return err
		}
	}
	return nil
}

// FindSeatDays implements allot.SeatHistoryService.
func (db *DB) FindSeatDays(ctx context.Context, p allot.Principal, since time.Time) ([]allot.SeatDay, error) {
	if err := allot.Authorize(p, allot.ActionReadAudit); err != nil {
		return nil, err
	}
	var out []allot.SeatDay
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT sku_id, day, assigned, total FROM seat_days WHERE tenant_id = $1 AND day >= $2`,
			p.TenantID, allot.DayOf(since).Unix()/86400)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d allot.SeatDay
			var day int64
			if err := rows.Scan(&d.SKUID, &day, &d.Delta.Assigned, &d.Delta.Total); err != nil {
				return err
			}
			d.Day = time.Unix(day*86400, 0).UTC()
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// backfillSeatDays fills seat_days from the audit events written before
// it existed: the Go half of migration 0017, in its transaction.
func backfillSeatDays(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id, at, action, target_type, target_id, sku_id, before_json, after_json FROM audit_events WHERE sku_id <> ''`)
	if err != nil {
		return err
	}
	days := seatDays{}
	for rows.Next() {
		var tenantID, before, after string
		var at int64
		var e auditEvent
		if err := rows.Scan(&tenantID, &at, &e.action, &e.targetType, &e.targetID, &e.skuID, &before, &after); err != nil {
			rows.Close()
			return err
		}
		days.add(tenantID, at, e, before, after)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return days.write(ctx, tx.ExecContext)
}
