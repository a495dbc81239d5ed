package sqlstore

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/allot-project/allot"
)

var _ allot.AuditService = (*DB)(nil)

// auditEvent is an event about to be written; before and after are
// marshalled to JSON.
type auditEvent struct {
	action, targetType, targetID, skuID string
	before, after                       any
}

// audit writes events in the caller's transaction, so that a change and its
// record commit or vanish together.
func (tx *Tx) audit(ctx context.Context, p allot.Principal, events ...auditEvent) error {
	_, err := tx.writeAudit(ctx, p, events)
	return err
}

// writeAudit writes events and returns their ids.
func (tx *Tx) writeAudit(ctx context.Context, p allot.Principal, events []auditEvent) ([]int64, error) {
	if len(events) == 0 {
		return nil, nil
	}
	ids, err := tx.auditIDs(ctx, p.TenantID, len(events))
	if err != nil {
		return nil, err
	}
	via := p.Via
	if via == "" {
		via = allot.ChannelAPI
	}
	rows := make([][]any, 0, len(events))
	for i, e := range events {
		before, err := marshalOrEmpty(e.before)
		if err != nil {
			return nil, err
		}
		after, err := marshalOrEmpty(e.after)
		if err != nil {
			return nil, err
		}
		rows = append(rows, []any{p.TenantID, ids[i], micros(tx.now), p.UserID, p.Name, string(via), e.action, e.targetType, e.targetID, e.skuID, before, after})
	}
	return ids, tx.insertRows(ctx, `INSERT INTO audit_events (tenant_id, event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json)`, 12, rows)
}

func marshalOrEmpty(v any) (string, error) {
	if v == nil {
		return "null", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// FindAuditEvents implements allot.AuditService.
func (db *DB) FindAuditEvents(ctx context.Context, p allot.Principal, f allot.AuditFilter) ([]*allot.AuditEvent, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q, args := auditQuery(p.TenantID, f)
	var out []*allot.AuditEvent
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := &allot.AuditEvent{TenantID: p.TenantID}
			var at int64
			var via, before, after string
			if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &via, &e.Action, &e.TargetType, &e.TargetID, &e.SKUID, &before, &after); err != nil {
				return err
			}
			e.At, e.Via = fromMicros(at), allot.Channel(via)
			e.Before, e.After = json.RawMessage(before), json.RawMessage(after)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// auditQuery selects a page of events. Per user it unites the events that
// target the user and the bulk events that name the user among their
// subjects, each through its own index, and shows a bulk event with that
// user's before and after.
func auditQuery(tenantID string, f allot.AuditFilter) (string, []any) {
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	const cols = `e.event_id, e.at, e.actor_id, e.actor_name, e.via, e.action, e.target_type`
	var conds string
	if f.SKUID != "" {
		conds += " AND e.sku_id = " + arg(f.SKUID)
	}
	if f.BeforeID > 0 {
		conds += " AND e.event_id < " + arg(f.BeforeID)
	}
	if f.UserID == "" {
		return `SELECT ` + cols + `, e.target_id, e.sku_id, e.before_json, e.after_json FROM audit_events e
			WHERE e.tenant_id = $1` + conds + ` ORDER BY e.event_id DESC LIMIT ` + arg(f.Limit), args
	}
	user := arg(f.UserID)
	return `SELECT * FROM (
		SELECT ` + cols + `, e.target_id, e.sku_id, e.before_json, e.after_json FROM audit_events e
			WHERE e.tenant_id = $1 AND e.target_id = ` + user + conds + `
		UNION ALL
		SELECT ` + cols + `, s.user_id, e.sku_id, s.before_json, s.after_json FROM audit_subjects s
			JOIN audit_events e ON e.tenant_id = s.tenant_id AND e.event_id = s.event_id
			WHERE s.tenant_id = $1 AND s.user_id = ` + user + conds + `
	) x ORDER BY 1 DESC LIMIT ` + arg(f.Limit), args
}

// bulkAudit records a bulk change: one event per action and SKU, whose
// after says how many users it touched, and one subject row per user.
func (tx *Tx) bulkAudit(ctx context.Context, p allot.Principal, events []auditEvent) error {
	type group struct{ action, sku string }
	var order []group
	members := map[group][]auditEvent{}
	for _, e := range events {
		g := group{e.action, e.skuID}
		if _, ok := members[g]; !ok {
			order = append(order, g)
		}
		members[g] = append(members[g], e)
	}
	heads := make([]auditEvent, len(order))
	for i, g := range order {
		heads[i] = auditEvent{action: g.action, targetType: "users", skuID: g.sku, after: map[string]any{"users": len(members[g])}}
	}
	ids, err := tx.writeAudit(ctx, p, heads)
	if err != nil {
		return err
	}
	var rows [][]any
	for i, g := range order {
		for _, e := range members[g] {
			before, err := marshalOrEmpty(e.before)
			if err != nil {
				return err
			}
			after, err := marshalOrEmpty(e.after)
			if err != nil {
				return err
			}
			rows = append(rows, []any{p.TenantID, e.targetID, ids[i], before, after})
		}
	}
	return tx.insertRows(ctx, `INSERT INTO audit_subjects (tenant_id, user_id, event_id, before_json, after_json)`, 5, rows)
}
