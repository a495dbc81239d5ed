package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.OffboardService = (*DB)(nil)

// Offboard implements allot.OffboardService: every step in one
// transaction, each audited as it would be alone, and one user.offboard
// event over them. A dry run is the same transaction rolled back.
func (db *DB) Offboard(ctx context.Context, p allot.Principal, o allot.Offboarding) (*allot.OffboardResult, error) {
	if err := allot.AuthorizeOffboard(p, o); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var out *allot.OffboardResult
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.offboard(ctx, p, o); err != nil {
			return err
		}
		if o.DryRun {
			return errPreview
		}
		return nil
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return out, err
}

func (tx *Tx) offboard(ctx context.Context, p allot.Principal, o allot.Offboarding) (*allot.OffboardResult, error) {
	u, err := tx.findUser(ctx, p.TenantID, o.User, true)
	if err != nil {
		return nil, err
	}
	if err := allot.CheckDelete(p, u); err != nil {
		return nil, err
	}
	res := &allot.OffboardResult{DryRun: o.DryRun}
	tx.keepImpacts = true // the result says what happened to the user's data
	if o.Hold {
		name := o.HoldName
		if name == "" {
			name = "Offboarding of " + u.UserPrincipalName
		}
		res.Hold = &allot.Hold{UserID: u.ID, Name: name}
		if err := tx.createHold(ctx, p, res.Hold); err != nil {
			return nil, err
		}
	}
	if err := tx.offboardLicenses(ctx, p, u, o, res); err != nil {
		return nil, err
	}
	if err := tx.blockUser(ctx, p, u); err != nil {
		return nil, err
	}
	if res.TokensRevoked, err = tx.revokeUserTokens(ctx, p, u.ID); err != nil {
		return nil, err
	}
	im, err := tx.impactOn(ctx, p.TenantID, u)
	if err != nil {
		return nil, err
	}
	res.User, res.Impact = u, *im
	after := map[string]any{"licenses": licenseSKUs(res.Licenses), "tokensRevoked": res.TokensRevoked, "hold": o.Hold}
	if res.Successor != nil {
		after["successor"] = res.Successor.UserPrincipalName
	}
	return res, tx.audit(ctx, p, auditEvent{action: allot.AuditUserOffboard, targetType: "user", targetID: u.ID, after: after})
}

// offboardLicenses removes the user's licenses and gives them, with their
// disabled plans, to the successor if there is one.
func (tx *Tx) offboardLicenses(ctx context.Context, p allot.Principal, u *allot.User, o allot.Offboarding, res *allot.OffboardResult) error {
	var err error
	if res.Licenses, err = tx.findLicenses(ctx, p.TenantID, u.ID); err != nil {
		return err
	}
	if len(res.Licenses) > 0 {
		if _, _, err := tx.assign(ctx, p, u.ID, allot.LicenseChange{Remove: licenseSKUs(res.Licenses)}); err != nil {
			return err
		}
	}
	u.Licenses = nil
	if o.Successor == "" {
		return nil
	}
	s, err := tx.findUser(ctx, p.TenantID, o.Successor, false)
	if err != nil {
		return err
	}
	if s.ID == u.ID {
		return &allot.Error{Code: allot.EINVALID, Field: "successor", Value: o.Successor, Message: "The successor is the user being offboarded."}
	}
	var ch allot.LicenseChange
	for _, l := range res.Licenses {
		ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: l.SKUID, DisabledPlans: l.DisabledPlans})
	}
	if len(ch.Add) > 0 {
		if ch, err = ch.Normalize(); err != nil {
			return err
		}
		if s, _, err = tx.assign(ctx, p, s.ID, ch); err != nil {
			return err
		}
	}
	res.Successor = s
	return nil
}

// blockUser blocks the user's sign-in, keeping the last Global
// Administrator able to sign in.
func (tx *Tx) blockUser(ctx context.Context, p allot.Principal, u *allot.User) error {
	if !u.AccountEnabled {
		return nil
	}
	if err := tx.keepGlobalAdminOf(ctx, p.TenantID, u.ID); err != nil {
		return err
	}
	before := userJSON(u)
	if _, err := tx.ExecContext(ctx, `UPDATE users SET account_enabled = $3 WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID, false); err != nil {
		return err
	}
	u.AccountEnabled = false
	if err := tx.touch(ctx, u); err != nil {
		return err
	}
	return tx.audit(ctx, p, auditEvent{action: allot.AuditUserUpdate, targetType: "user", targetID: u.ID, before: before, after: userJSON(u)})
}

// revokeUserTokens revokes the user's active tokens (sessions included)
// and audits each.
func (tx *Tx) revokeUserTokens(ctx context.Context, p allot.Principal, userID string) (int, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING token_id`,
		p.TenantID, userID, micros(tx.now))
	if err != nil {
		return 0, err
	}
	var events []auditEvent
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		events = append(events, auditEvent{action: allot.AuditTokenRevoke, targetType: "token", targetID: id,
			after: map[string]any{"userId": userID, "revokedDateTime": tx.now.Format(time.RFC3339)}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return len(events), tx.audit(ctx, p, events...)
}
