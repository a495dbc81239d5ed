package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.LicenseService = (*DB)(nil)

// AssignLicenses implements allot.LicenseService.
func (db *DB) AssignLicenses(ctx context.Context, p allot.Principal, idOrUPN string, ch allot.LicenseChange) (*allot.User, error) {
	ch, err := ch.Normalize()
	if err != nil {
		return nil, err
	}
	var out *allot.User
	err = db.update(ctx, func(tx *Tx) (err error) {
		out, _, err = tx.assign(ctx, p, idOrUPN, ch)
		return err
	})
	return out, err
}

// assign loads a user and the pools involved, lets allot.PlanLicenseChange
// decide, and writes the outcome. ch is normalized.
func (tx *Tx) assign(ctx context.Context, p allot.Principal, idOrUPN string, ch allot.LicenseChange) (*allot.User, bool, error) {
	pools, err := tx.authorizeChange(ctx, p, ch)
	if err != nil {
		return nil, false, err
	}
	u, err := tx.findUser(ctx, p.TenantID, idOrUPN, true)
	if err != nil {
		return nil, false, err
	}
	if u.Licenses, err = tx.findLicenses(ctx, p.TenantID, u.ID); err != nil {
		return u, false, err
	}
	if err := tx.addHeldPools(ctx, p.TenantID, u, pools); err != nil {
		return u, false, err
	}
	plan, err := allot.PlanLicenseChange(tx.db.catalog, p, u, pools, ch, tx.now)
	if err != nil {
		return u, false, err
	}
	if err := tx.applyPlan(ctx, p, u, plan); err != nil {
		return u, false, err
	}
	if !plan.Empty() {
		if err := tx.licenseData(ctx, p, u, plan.Before, plan.After); err != nil {
			return u, false, err
		}
	}
	u.Licenses = plan.After
	if plan.Empty() {
		return u, false, nil
	}
	return u, true, tx.touch(ctx, u)
}

// authorizeChange decides whether p may make the normalized change ch
// before any user is looked at: administrators from their roles alone,
// anyone else from the pools of the SKUs the change names (a self-service
// purchaser), which it loads and returns.
func (tx *Tx) authorizeChange(ctx context.Context, p allot.Principal, ch allot.LicenseChange) (map[string][]allot.SeatPool, error) {
	pools, err := tx.findPools(ctx, p.TenantID, ch.SKUs())
	if err != nil {
		return nil, err
	}
	return pools, allot.AuthorizeLicenseChange(p, pools)
}

// addHeldPools loads the pools of the SKUs the user holds that the change
// does not name, which the rules need to judge self-service licenses.
func (tx *Tx) addHeldPools(ctx context.Context, tenantID string, u *allot.User, pools map[string][]allot.SeatPool) error {
	var missing []string
	for _, l := range u.Licenses {
		if _, ok := pools[l.SKUID]; !ok {
			missing = append(missing, l.SKUID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	more, err := tx.findPools(ctx, tenantID, missing)
	for k, v := range more {
		pools[k] = v
	}
	return err
}

// applyPlan writes a plan: seats first, in (SKU, pool) order so that
// concurrent transactions lock counters in one order, then the rows and the
// audit events.
func (tx *Tx) applyPlan(ctx context.Context, p allot.Principal, u *allot.User, plan *allot.LicensePlan) error {
	type seat struct {
		l     allot.License
		delta int
	}
	var seats []seat
	for _, l := range plan.Add {
		seats = append(seats, seat{l, +1})
	}
	for _, l := range plan.Remove {
		seats = append(seats, seat{l, -1})
	}
	slices.SortFunc(seats, func(a, b seat) int {
		return strings.Compare(a.l.SKUID+"/"+a.l.Pool(), b.l.SKUID+"/"+b.l.Pool())
	})
	for _, s := range seats {
		if err := tx.takeSeats(ctx, p.TenantID, s.l.SKUID, s.l.Pool(), s.delta); err != nil {
			return err
		}
	}
	var events []auditEvent
	for _, l := range plan.Add {
		if err := tx.insertLicense(ctx, "licenses", p.TenantID, u.ID, l); err != nil {
			return err
		}
		events = append(events, licenseEvent(allot.AuditLicenseAdd, u.ID, nil, &l))
	}
	for _, l := range plan.Remove {
		if _, err := tx.ExecContext(ctx, `DELETE FROM licenses WHERE tenant_id = $1 AND user_id = $2 AND sku_id = $3`, p.TenantID, u.ID, l.SKUID); err != nil {
			return err
		}
		events = append(events, licenseEvent(allot.AuditLicenseRemove, u.ID, &l, nil))
	}
	for _, l := range plan.Update {
		if _, err := tx.ExecContext(ctx, `UPDATE licenses SET disabled_plans = $4 WHERE tenant_id = $1 AND user_id = $2 AND sku_id = $3`,
			p.TenantID, u.ID, l.SKUID, strings.Join(l.DisabledPlans, ",")); err != nil {
			return err
		}
		old := u.License(l.SKUID)
		events = append(events, licenseEvent(allot.AuditLicenseUpdate, u.ID, old, &l))
	}
	return tx.audit(ctx, p, events...)
}

// takeSeats moves a pool's consumed counter by delta. A positive delta only
// succeeds while the pool has that many seats free (allot.SeatPool.TakeSeats):
// the storage enforces that rule with one conditional UPDATE, check and take
// together, so no interleaving can oversell.
func (tx *Tx) takeSeats(ctx context.Context, tenantID, skuID, pool string, delta int) error {
	q := `UPDATE seat_pools SET consumed = consumed + $4 WHERE tenant_id = $1 AND sku_id = $2 AND pool = $3`
	if delta > 0 {
		q += ` AND consumed + $4 <= capacity`
	}
	res, err := tx.ExecContext(ctx, q, tenantID, skuID, pool, delta)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		var free int
		if err := tx.QueryRowContext(ctx, `SELECT capacity - consumed FROM seat_pools WHERE tenant_id = $1 AND sku_id = $2 AND pool = $3`,
			tenantID, skuID, pool).Scan(&free); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return allot.SeatsError(skuID, delta, free)
	}
	return nil
}

func (tx *Tx) insertLicense(ctx context.Context, table, tenantID, userID string, l allot.License) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		tenantID, userID, l.SKUID, l.Pool(), strings.Join(l.DisabledPlans, ","), micros(l.AssignedAt))
	return err
}

func (tx *Tx) findLicenses(ctx context.Context, tenantID, userID string) ([]allot.License, error) {
	m, err := tx.licensesOf(ctx, "licenses", tenantID, []string{userID})
	return m[userID], err
}

// fillLicenses loads the licenses of a page of users in one query.
func (tx *Tx) fillLicenses(ctx context.Context, tenantID string, users []*allot.User, deleted bool) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	table := "licenses"
	if deleted {
		table = "deleted_licenses"
	}
	m, err := tx.licensesOf(ctx, table, tenantID, ids)
	for _, u := range users {
		u.Licenses = m[u.ID]
	}
	return err
}

func (tx *Tx) licensesOf(ctx context.Context, table, tenantID string, userIDs []string) (map[string][]allot.License, error) {
	args := keyArgs(tenantID, userIDs)
	// Unordered: each user's few licenses are sorted below, which costs
	// less than SQLite's sort of every row by assignment date (a fifth of
	// the read of a 100 000-user bulk change's licenses).
	rows, err := tx.QueryContext(ctx, `SELECT user_id, sku_id, pool, disabled_plans, assigned_at FROM `+table+`
		WHERE tenant_id = $1 AND user_id IN (`+tx.db.d.placeholders(2, len(userIDs))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]allot.License{}
	for rows.Next() {
		tx.yield()
		var uid, disabled string
		var at int64
		var l allot.License
		if err := rows.Scan(&uid, &l.SKUID, &l.SubscriptionID, &disabled, &at); err != nil {
			return nil, err
		}
		l.AssignedAt = fromMicros(at)
		l.DisabledPlans = splitPlans(disabled)
		out[uid] = append(out[uid], l)
	}
	for _, ls := range out {
		sortAssigned(ls)
	}
	return out, rows.Err()
}

// sortAssigned puts a user's licenses in the order they were assigned, by
// SKU id when assigned in the same microsecond: the order FindUser and the
// API list them in.
func sortAssigned(ls []allot.License) {
	slices.SortFunc(ls, func(a, b allot.License) int {
		return cmp.Or(a.AssignedAt.Compare(b.AssignedAt), strings.Compare(a.SKUID, b.SKUID))
	})
}

func licenseEvent(action, userID string, before, after *allot.License) auditEvent {
	e := auditEvent{action: action, targetType: "user", targetID: userID}
	if before != nil {
		e.skuID, e.before = before.SKUID, licenseJSON(*before)
	}
	if after != nil {
		e.skuID, e.after = after.SKUID, licenseJSON(*after)
	}
	return e
}

// licenseJSON is a license as audit events record it: the bytes
// json.Marshal gives for the map {"skuId", "disabledPlans",
// "subscriptionId"} (keys sorted, no plans as null), written directly since
// a bulk change records 100 000 of them, into the text the audit row
// stores (one allocation, where bytes converted to it took two).
func licenseJSON(l allot.License) jsonText {
	var b strings.Builder
	b.Grow(64 + 40*len(l.DisabledPlans) + 2*len(l.SKUID))
	b.WriteString(`{"disabledPlans":`)
	if l.DisabledPlans == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('[')
		for i, id := range l.DisabledPlans {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, id)
		}
		b.WriteByte(']')
	}
	b.WriteString(`,"skuId":`)
	writeJSONString(&b, l.SKUID)
	b.WriteString(`,"subscriptionId":`)
	writeJSONString(&b, l.SubscriptionID)
	b.WriteByte('}')
	return jsonText(b.String())
}

// writeJSONString writes s as appendJSONString appends it.
func writeJSONString(b *strings.Builder, s string) {
	var buf [64]byte
	b.Write(appendJSONString(buf[:0], s))
}

// appendJSONString appends s as json.Marshal writes it: directly when it
// needs no escape (ids), through json.Marshal otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
