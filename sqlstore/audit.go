package sqlstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

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
	if len(events) == 0 {
		return nil
	}
	ids, err := tx.auditIDs(ctx, p.TenantID, len(events))
	if err != nil {
		return err
	}
	via := p.Via
	if via == "" {
		via = allot.ChannelAPI
	}
	const cols, chunk = 12, 400
	for start := 0; start < len(events); start += chunk {
		part := events[start:min(start+chunk, len(events))]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_events (tenant_id, event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json) VALUES `)
		args := make([]any, 0, cols*len(part))
		for i, e := range part {
			before, err := marshalOrEmpty(e.before)
			if err != nil {
				return err
			}
			after, err := marshalOrEmpty(e.after)
			if err != nil {
				return err
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + tx.db.d.placeholders(len(args)+1, cols) + ")")
			args = append(args, p.TenantID, ids[start+i], micros(tx.now), p.UserID, p.Name, string(via), e.action, e.targetType, e.targetID, e.skuID, before, after)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
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
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, allot.Errorf(allot.EINVALID, "Page size must be between 1 and 1000.")
	}
	q := `SELECT event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json FROM audit_events WHERE tenant_id = $1`
	args := []any{p.TenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + cond + " $" + strconv.Itoa(len(args))
	}
	if f.UserID != "" {
		add("target_id =", f.UserID)
	}
	if f.SKUID != "" {
		add("sku_id =", f.SKUID)
	}
	if f.BeforeID > 0 {
		add("event_id <", f.BeforeID)
	}
	q += " ORDER BY event_id DESC LIMIT $" + strconv.Itoa(len(args)+1)
	args = append(args, f.Limit)
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
