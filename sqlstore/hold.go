package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.HoldService = (*DB)(nil)

const holdColumns = `hold_id, user_id, upn, name, created_at, created_by, released_at`

func scanHold(row scanner, tenantID string) (*allot.Hold, error) {
	h := &allot.Hold{TenantID: tenantID}
	var created int64
	var released sql.NullInt64
	if err := row.Scan(&h.ID, &h.UserID, &h.UserPrincipalName, &h.Name, &created, &h.CreatedBy, &released); err != nil {
		return nil, err
	}
	h.CreatedAt, h.ReleasedAt = fromMicros(created), fromMicros(released.Int64)
	return h, nil
}

// CreateHold implements allot.HoldService.
func (db *DB) CreateHold(ctx context.Context, p allot.Principal, h *allot.Hold) error {
	if err := allot.Authorize(p, allot.ActionManageHolds); err != nil {
		return err
	}
	if err := h.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error { return tx.createHold(ctx, p, h) })
}

// createHold places the validated hold h on the user it names.
func (tx *Tx) createHold(ctx context.Context, p allot.Principal, h *allot.Hold) error {
	d, err := tx.findUserData(ctx, p.TenantID, h.UserID)
	if err != nil {
		return err
	}
	h.ID, h.TenantID, h.UserID, h.UserPrincipalName = tx.db.newID(), p.TenantID, d.UserID, d.UserPrincipalName
	h.CreatedAt, h.CreatedBy, h.ReleasedAt = tx.dataNow(), p.Name, time.Time{}
	_, err = tx.ExecContext(ctx, `INSERT INTO holds (tenant_id, `+holdColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
		p.TenantID, h.ID, h.UserID, h.UserPrincipalName, h.Name, micros(h.CreatedAt), h.CreatedBy)
	if err != nil {
		return err
	}
	tx.touchGone(p.TenantID, h.UserID) // caches read the user again: a held mailbox in grace checks as inactive
	return tx.audit(ctx, p, auditEvent{action: allot.AuditHoldCreate, targetType: "user", targetID: h.UserID, after: holdJSON(h)})
}

func holdJSON(h *allot.Hold) map[string]any {
	return map[string]any{"id": h.ID, "name": h.Name, "userPrincipalName": h.UserPrincipalName}
}

// FindHolds implements allot.HoldService.
func (db *DB) FindHolds(ctx context.Context, p allot.Principal, f allot.HoldFilter) ([]*allot.Hold, error) {
	if err := allot.Authorize(p, allot.ActionManageHolds); err != nil {
		return nil, err
	}
	q := `SELECT ` + holdColumns + ` FROM holds WHERE tenant_id = $1`
	args := []any{p.TenantID}
	if !f.IncludeReleased {
		q += ` AND released_at IS NULL`
	}
	if f.User != "" {
		q += ` AND user_id = $2`
		args = append(args, strings.ToLower(strings.TrimSpace(f.User)))
	}
	var out []*allot.Hold
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q+` ORDER BY created_at, hold_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHold(rows, p.TenantID)
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// ReleaseHold implements allot.HoldService. The next run of the data
// lifecycle purges a mailbox kept inactive by this hold alone.
func (db *DB) ReleaseHold(ctx context.Context, p allot.Principal, id string) (*allot.Hold, error) {
	if err := allot.Authorize(p, allot.ActionManageHolds); err != nil {
		return nil, err
	}
	var out *allot.Hold
	err := db.update(ctx, func(tx *Tx) error {
		h, err := scanHold(tx.QueryRowContext(ctx, `SELECT `+holdColumns+` FROM holds WHERE tenant_id = $1 AND hold_id = $2`+tx.db.d.forUpdate,
			p.TenantID, strings.ToLower(strings.TrimSpace(id))), p.TenantID)
		if errors.Is(err, sql.ErrNoRows) {
			return &allot.Error{Code: allot.ENOTFOUND, Field: "id", Value: id, Message: "No hold has the id " + id + "."}
		} else if err != nil {
			return err
		}
		if !h.Active() {
			return &allot.Error{Code: allot.ECONFLICT, Field: "id", Value: id, Message: "The hold " + id + " is already released."}
		}
		h.ReleasedAt = tx.dataNow()
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET released_at = $3 WHERE tenant_id = $1 AND hold_id = $2`, p.TenantID, h.ID, micros(h.ReleasedAt)); err != nil {
			return err
		}
		out = h
		tx.touchGone(p.TenantID, h.UserID) // caches read the user again (allot.CheckedMailbox)
		return tx.audit(ctx, p, auditEvent{action: allot.AuditHoldRelease, targetType: "user", targetID: h.UserID, before: holdJSON(h)})
	})
	return out, err
}

// FindSearchableMailboxes implements allot.HoldService: the users whose
// licenses carry a mailbox, and the held users whose mailbox is kept.
func (db *DB) FindSearchableMailboxes(ctx context.Context, p allot.Principal, f allot.MailboxFilter) ([]*allot.SearchableMailbox, bool, error) {
	if err := allot.Authorize(p, allot.ActionManageHolds); err != nil {
		return nil, false, err
	}
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	var out []*allot.SearchableMailbox
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.searchableMailboxes(ctx, p.TenantID, strings.ToLower(f.After), f.Limit+1)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	more := len(out) > f.Limit
	return out[:min(len(out), f.Limit)], more, nil
}

// searchableMailboxes returns up to n searchable mailboxes of users with
// ids after the cursor, in id order. It reads the licensed users a chunk at
// a time and the held mailboxes of the same id range, so that memory stays
// bounded by the page in a tenant of any size.
func (tx *Tx) searchableMailboxes(ctx context.Context, tenantID, after string, n int) ([]*allot.SearchableMailbox, error) {
	chunk := max(n, 100)
	var out []*allot.SearchableMailbox
	for len(out) < n {
		users, err := tx.queryUsers(ctx, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.deleted_at IS NULL AND u.user_id > $2
			AND EXISTS (SELECT 1 FROM licenses l WHERE l.tenant_id = u.tenant_id AND l.user_id = u.user_id)
			ORDER BY u.user_id LIMIT $3`, tenantID, after, chunk)
		if err != nil {
			return nil, err
		}
		upto := "" // the range read: up to the last user of a full chunk, else to the end
		if len(users) == chunk {
			upto = users[len(users)-1].ID
		}
		if err := tx.fillLicenses(ctx, tenantID, users, false); err != nil {
			return nil, err
		}
		byID := map[string]*allot.SearchableMailbox{}
		for _, u := range users {
			if allot.HasData(tx.db.catalog, u.Licenses, allot.DataMailbox) {
				byID[u.ID] = &allot.SearchableMailbox{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, State: allot.MailboxActive}
			}
		}
		if err := tx.heldMailboxes(ctx, tenantID, after, upto, byID); err != nil {
			return nil, err
		}
		page := slices.Collect(maps.Values(byID))
		slices.SortFunc(page, func(a, b *allot.SearchableMailbox) int { return strings.Compare(a.UserID, b.UserID) })
		out = append(out, page...)
		if upto == "" {
			break
		}
		after = upto
	}
	return out, nil
}

// heldMailboxes adds the held users, with ids after the cursor and up to
// upto ("" for no bound), whose mailbox content search still reaches
// (allot.UserData.Searchable).
func (tx *Tx) heldMailboxes(ctx context.Context, tenantID, after, upto string, byID map[string]*allot.SearchableMailbox) error {
	bound := ""
	args := []any{tenantID, after}
	if upto != "" {
		bound, args = ` AND d.user_id <= $3`, append(args, upto)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+userDataColumns+` FROM user_data d WHERE d.tenant_id = $1 AND d.user_id > $2`+bound+`
		AND EXISTS (SELECT 1 FROM holds h WHERE h.tenant_id = d.tenant_id AND h.user_id = d.user_id AND h.released_at IS NULL)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	scan := newDataScan()
	for rows.Next() {
		d, err := scan.scan(rows, tenantID)
		if err != nil {
			return err
		}
		if m := byID[d.UserID]; m != nil {
			m.Held = true
		} else if d.Searchable(true) {
			byID[d.UserID] = &allot.SearchableMailbox{UserID: d.UserID, UserPrincipalName: d.UserPrincipalName, State: d.Mailbox, Held: true}
		}
	}
	return rows.Err()
}
