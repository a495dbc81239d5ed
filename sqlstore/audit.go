package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
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
	actor := actorID(p.UserID, p.AppID)
	rows := make([][]any, 0, len(events))
	days := seatDays{}
	for i, e := range events {
		before, err := marshalOrEmpty(e.before)
		if err != nil {
			return nil, err
		}
		after, err := marshalOrEmpty(e.after)
		if err != nil {
			return nil, err
		}
		rows = append(rows, []any{p.TenantID, ids[i], micros(tx.now), actor, p.Name, string(via), e.action, e.targetType, e.targetID, e.skuID, before, after})
		days.add(p.TenantID, micros(tx.now), e, before, after)
	}
	if err := tx.insertRows(ctx, `INSERT INTO audit_events (tenant_id, event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json)`, 12, rows); err != nil {
		return nil, err
	}
	return ids, days.write(ctx, tx.ExecContext)
}

// appActor prefixes the actor_id of an application acting with its own
// token, so that one column tells users and applications apart.
const appActor = "app:"

// actorID is the actor_id recorded for a principal.
func actorID(userID, appID string) string {
	if appID != "" && userID == "" {
		return appActor + appID
	}
	return userID
}

// jsonText is a value's JSON already written, as text.
type jsonText string

// marshalOrEmpty is v as an audit row stores it: null for nil, JSON
// written already as it is, anything else marshalled.
func marshalOrEmpty(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case jsonText:
		return string(v), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// FindAuditEvents implements allot.AuditService.
func (db *DB) FindAuditEvents(ctx context.Context, p allot.Principal, f allot.AuditFilter) ([]*allot.AuditEvent, error) {
	actions, err := allot.AuditScope(p, f)
	if err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if actions != nil && len(actions) == 0 {
		return nil, nil
	}
	q, args := auditQuery(p.TenantID, f, actions)
	var out []*allot.AuditEvent
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.readAuditEvents(ctx, p.TenantID, q, args); err != nil {
			return err
		}
		for _, e := range out {
			if e.TargetType == "users" && e.TargetID == "" {
				if e.SubjectCount = bulkUsers(e.After); f.Bare {
					continue
				}
				if err := tx.readAuditSubjects(ctx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// readAuditEvents reads the events a query of auditQuery selects.
func (tx *Tx) readAuditEvents(ctx context.Context, tenantID, q string, args []any) ([]*allot.AuditEvent, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*allot.AuditEvent
	for rows.Next() {
		e := &allot.AuditEvent{TenantID: tenantID}
		var at int64
		var via, before, after string
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &via, &e.Action, &e.TargetType, &e.TargetID, &e.SKUID, &before, &after, &e.TargetUPN, &e.TargetName); err != nil {
			return nil, err
		}
		e.At, e.Via = fromMicros(at), allot.Channel(via)
		e.ActorID, e.ActorApp = strings.CutPrefix(e.ActorID, appActor)
		e.Before, e.After = json.RawMessage(before), json.RawMessage(after)
		out = append(out, e)
	}
	return out, rows.Err()
}

// auditSubjectsQuery reads the first users of a bulk change's event by
// id: one range of audit_subjects' key (migration 0020,
// TestAuditSubjectsPlan).
const auditSubjectsQuery = `SELECT s.user_id, COALESCE(u.upn, ''), COALESCE(u.display_name, ''), s.before_json, s.after_json
	FROM audit_subjects s LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.user_id = s.user_id
	WHERE s.tenant_id = $1 AND s.event_id = $2 ORDER BY s.user_id LIMIT $3`

// readAuditSubjects fills in the users of a bulk change: how many, and
// the first allot.MaxAuditSubjects of them by id.
func (tx *Tx) readAuditSubjects(ctx context.Context, e *allot.AuditEvent) error {
	rows, err := tx.QueryContext(ctx, auditSubjectsQuery, e.TenantID, e.ID, allot.MaxAuditSubjects)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s allot.AuditSubject
		var before, after string
		if err := rows.Scan(&s.UserID, &s.UPN, &s.Name, &before, &after); err != nil {
			return err
		}
		s.Before, s.After = json.RawMessage(before), json.RawMessage(after)
		e.Subjects = append(e.Subjects, s)
	}
	return rows.Err()
}

// bulkUsers reads how many users a bulk change's event counts (written by
// bulkAudit); a zero count only hides the total.
func bulkUsers(after json.RawMessage) int {
	var head struct{ Users int }
	json.Unmarshal(after, &head)
	return head.Users
}

// auditQuery selects a page of events, with the userPrincipalName and
// name of a user target. Per target it unites the events that target the
// object and the bulk events that name it among their subjects, each
// through its own index, and shows a bulk event with that user's before
// and after. actions, when not nil, are the only actions selected
// (allot.AuditScope).
func auditQuery(tenantID string, f allot.AuditFilter, actions []string) (string, []any) {
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	const cols = `e.event_id, e.at, e.actor_id, e.actor_name, e.via, e.action, e.target_type`
	conds := auditConds(f, actions, arg)
	inner := `SELECT ` + cols + `, e.target_id, e.sku_id, e.before_json, e.after_json FROM audit_events e
		WHERE e.tenant_id = $1` + conds
	if f.UserID != "" {
		user := arg(f.UserID)
		inner = `SELECT ` + cols + `, e.target_id, e.sku_id, e.before_json, e.after_json FROM audit_events e
			WHERE e.tenant_id = $1 AND e.target_id = ` + user + conds + `
		UNION ALL
		SELECT k.event_id` + strings.TrimPrefix(cols, "e.event_id") + `, k.user_id, e.sku_id, s.before_json, s.after_json
			FROM (SELECT event_id, user_id FROM audit_subjects WHERE tenant_id = $1 AND user_id = ` + user + `) k
			JOIN audit_subjects s ON s.tenant_id = $1 AND s.event_id = k.event_id AND s.user_id = k.user_id
			JOIN audit_events e ON e.tenant_id = $1 AND e.event_id = k.event_id
			WHERE TRUE` + conds
	}
	if f.Bare {
		return `SELECT x.*, '', '' FROM (` + inner + ` ORDER BY 1 DESC LIMIT ` + arg(f.Limit) + `) x ORDER BY x.event_id DESC`, args
	}
	return `SELECT x.*, COALESCE(u.upn, ''), COALESCE(u.display_name, '') FROM (` + inner + ` ORDER BY 1 DESC LIMIT ` + arg(f.Limit) + `) x
		LEFT JOIN users u ON u.tenant_id = $1 AND u.user_id = x.target_id ORDER BY x.event_id DESC`, args
}

// auditConds returns the conditions of f other than the target, ANDed.
func auditConds(f allot.AuditFilter, actions []string, arg func(any) string) string {
	var conds string
	add := func(cond string, v any) { conds += " AND " + cond + " " + arg(v) }
	if f.ID > 0 {
		add("e.event_id =", f.ID)
	}
	if f.SKUID != "" {
		add("e.sku_id =", f.SKUID)
	}
	if f.ActorID != "" && f.ActorApp {
		add("e.actor_id =", appActor+f.ActorID)
	} else if f.ActorID != "" {
		add("e.actor_id =", f.ActorID)
	}
	if !f.Since.IsZero() {
		add("e.at >=", micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("e.at <=", micros(f.Until))
	}
	if f.BeforeID > 0 {
		add("e.event_id <", f.BeforeID)
	}
	if actions != nil {
		list := make([]string, len(actions))
		for i, a := range actions {
			list[i] = arg(a)
		}
		conds += " AND e.action IN (" + strings.Join(list, ", ") + ")"
	}
	return conds
}

// bulkAudit records a bulk change: one event per action and SKU, whose
// after says how many users it touched, and one subject row per user.
func (tx *Tx) bulkAudit(ctx context.Context, p allot.Principal, events []auditEvent) error {
	type group struct{ action, sku string }
	var order []group
	size := map[group]int{}
	of := make([]int, len(events)) // the group of each event, in order
	for i, e := range events {
		g := group{e.action, e.skuID}
		if _, ok := size[g]; !ok {
			order = append(order, g)
		}
		size[g]++
		of[i] = slices.Index(order, g) // a handful of groups
	}
	heads := make([]auditEvent, len(order))
	for i, g := range order {
		heads[i] = auditEvent{action: g.action, targetType: "users", skuID: g.sku, after: map[string]any{"users": size[g]}}
	}
	ids, err := tx.writeAudit(ctx, p, heads)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(events))
	for gi := range order {
		for i := range events {
			if of[i] != gi {
				continue
			}
			e := &events[i]
			before, err := marshalOrEmpty(e.before)
			if err != nil {
				return err
			}
			after, err := marshalOrEmpty(e.after)
			if err != nil {
				return err
			}
			rows = append(rows, []any{p.TenantID, e.targetID, ids[gi], before, after})
		}
	}
	return tx.insertRows(ctx, tx.db.d.insertOrFail()+` audit_subjects (tenant_id, user_id, event_id, before_json, after_json)`, 5, rows)
}

// insertOrFail begins an INSERT whose failure fails the whole write: on
// SQLite "INSERT OR FAIL", which keeps the rows a failing statement wrote
// before its error instead of undoing them, so that SQLite need not copy
// every page the statement touches to a statement journal first (9 % of a
// 100 k-user bulk change's CPU, in writes to a temporary file). Its
// callers return the error, and the write rolls back as a whole. Only for
// tables without foreign keys, which need the journal anyway.
func (d dialect) insertOrFail() string {
	if d.name == "sqlite" {
		return "INSERT OR FAIL INTO"
	}
	return "INSERT INTO"
}

// updateOrFail begins an UPDATE that, like insertOrFail's INSERT, needs
// no statement journal on SQLite; only for updates of columns that no
// foreign key involves.
func (d dialect) updateOrFail() string {
	if d.name == "sqlite" {
		return "UPDATE OR FAIL"
	}
	return "UPDATE"
}
