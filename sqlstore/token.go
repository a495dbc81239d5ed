package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.TokenService = (*DB)(nil)

// tokenPrefix starts every secret, so that leaked tokens are easy to spot.
const tokenPrefix = "allot_"

// CreateToken implements allot.TokenService. The secret is
// "allot_<tenant id without dashes>_<43 random base64url characters>".
func (db *DB) CreateToken(ctx context.Context, tenantID, idOrUPN string, ttl time.Duration) (string, *allot.Token, error) {
	if err := allot.ValidateTokenTTL(ttl); err != nil {
		return "", nil, err
	}
	secret, t, err := db.newToken(tenantID)
	if err != nil {
		return "", nil, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, tenantID, idOrUPN, false)
		if err != nil {
			return err
		}
		t.UserID, t.Owner = u.ID, u.UserPrincipalName
		return tx.insertToken(ctx, operator(tenantID), secret, t, ttl)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// CreateAppToken implements allot.TokenService.
func (db *DB) CreateAppToken(ctx context.Context, p allot.Principal, name string, roles []allot.Role, ttl time.Duration) (string, *allot.Token, error) {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return "", nil, err
	}
	if err := allot.ValidateAppToken(name, roles); err != nil {
		return "", nil, err
	}
	if err := allot.ValidateTokenTTL(ttl); err != nil {
		return "", nil, err
	}
	secret, t, err := db.newToken(p.TenantID)
	if err != nil {
		return "", nil, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		app, err := tx.ensureApp(ctx, p, name)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.grantAppRole(ctx, p, app.ID, r); err != nil {
				return err
			}
		}
		t.AppID, t.Owner = app.ID, app.DisplayName
		return tx.insertToken(ctx, p, secret, t, ttl)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// newToken draws a secret for a token of the tenant and gives the token
// its id.
func (db *DB) newToken(tenantID string) (string, *allot.Token, error) {
	var raw [32]byte
	if _, err := io.ReadFull(db.rand, raw[:]); err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + strings.ReplaceAll(tenantID, "-", "") + "_" + base64.RawURLEncoding.EncodeToString(raw[:])
	return secret, &allot.Token{ID: db.newID(), TenantID: tenantID}, nil
}

// insertToken stores t, owned by t.UserID or t.AppID, valid for ttl from
// now, and audits it as p.
func (tx *Tx) insertToken(ctx context.Context, p allot.Principal, secret string, t *allot.Token, ttl time.Duration) error {
	if err := tx.storeToken(ctx, secret, t, ttl); err != nil {
		return err
	}
	return tx.audit(ctx, p, auditEvent{action: allot.AuditTokenCreate, targetType: "token", targetID: t.ID, after: tokenJSON(t)})
}

// storeToken stores t, owned by t.UserID or t.AppID, valid for ttl from
// now; the caller audits it (a sign-in records itself, not a token).
func (tx *Tx) storeToken(ctx context.Context, secret string, t *allot.Token, ttl time.Duration) error {
	t.CreatedAt, t.ExpiresAt = tx.now, tx.now.Add(ttl)
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (tenant_id, token_hash, token_id, user_id, app_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.TenantID, hashToken(secret), t.ID, nullable(t.UserID), nullable(t.AppID), micros(t.CreatedAt), micros(t.ExpiresAt))
	return err
}

// tokenJSON is what the audit records of a token: its owner and times.
func tokenJSON(t *allot.Token) map[string]any {
	m := map[string]any{"expiresAt": t.ExpiresAt}
	if t.AppID != "" {
		m["appId"] = t.AppID
	} else {
		m["userId"] = t.UserID
	}
	if !t.RevokedAt.IsZero() {
		m["revokedAt"] = t.RevokedAt
	}
	return m
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// RevokeToken implements allot.TokenService.
func (db *DB) RevokeToken(ctx context.Context, secretOrID string) error {
	return db.update(ctx, func(tx *Tx) error {
		where, args := `token_id = $2`, []any{micros(tx.now), strings.ToLower(strings.TrimSpace(secretOrID))}
		if tenant, ok := tokenTenant(secretOrID); ok {
			where, args = `tenant_id = $2 AND token_hash = $3`, []any{micros(tx.now), tenant, hashToken(secretOrID)}
		}
		t, err := tx.revoke(ctx, where, args...)
		if err != nil {
			return err
		}
		return tx.audit(ctx, operator(t.TenantID), auditEvent{action: allot.AuditTokenRevoke, targetType: "token", targetID: t.ID, after: tokenJSON(t)})
	})
}

// RevokeTenantToken implements allot.TokenService.
func (db *DB) RevokeTenantToken(ctx context.Context, p allot.Principal, id string) error {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		t, err := tx.revoke(ctx, `tenant_id = $2 AND token_id = $3`, micros(tx.now), p.TenantID, strings.ToLower(strings.TrimSpace(id)))
		if err != nil {
			return err
		}
		return tx.audit(ctx, p, auditEvent{action: allot.AuditTokenRevoke, targetType: "token", targetID: t.ID, after: tokenJSON(t)})
	})
}

// revoke revokes the active token matching where ($1 is the time) and
// returns it. Returns ENOTFOUND if no active token matches.
func (tx *Tx) revoke(ctx context.Context, where string, args ...any) (*allot.Token, error) {
	t := &allot.Token{RevokedAt: tx.now}
	var user, app sql.NullString
	var expires int64
	err := tx.QueryRowContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE `+where+` AND revoked_at IS NULL RETURNING tenant_id, token_id, user_id, app_id, expires_at`, args...).
		Scan(&t.TenantID, &t.ID, &user, &app, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &allot.Error{Code: allot.ENOTFOUND, Field: "token", Message: "No active token matches."}
	}
	t.UserID, t.AppID, t.ExpiresAt = user.String, app.String, fromMicros(expires)
	return t, err
}

// FindTokens implements allot.TokenService.
func (db *DB) FindTokens(ctx context.Context, p allot.Principal) ([]*allot.Token, error) {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return nil, err
	}
	var out []*allot.Token
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT t.token_id, t.user_id, t.app_id, COALESCE(u.upn, a.display_name, ''), t.created_at, t.expires_at, t.revoked_at FROM tokens t
			LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.user_id = t.user_id
			LEFT JOIN applications a ON a.tenant_id = t.tenant_id AND a.app_id = t.app_id
			WHERE t.tenant_id = $1 ORDER BY t.created_at, t.token_id`, p.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := &allot.Token{TenantID: p.TenantID}
			var user, app sql.NullString
			var created, expires int64
			var revoked sql.NullInt64
			if err := rows.Scan(&t.ID, &user, &app, &t.Owner, &created, &expires, &revoked); err != nil {
				return err
			}
			t.UserID, t.AppID, t.CreatedAt, t.ExpiresAt = user.String, app.String, fromMicros(created), fromMicros(expires)
			if revoked.Valid {
				t.RevokedAt = fromMicros(revoked.Int64)
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// operator is the principal of the operator's actions that take none
// (tokens, tenants), as their audit events record it.
func operator(tenantID string) allot.Principal { return allot.SystemPrincipal(tenantID, "operator") }

// Authenticate implements allot.TokenService.
func (db *DB) Authenticate(ctx context.Context, secret string) (allot.Principal, error) {
	unauthorized := allot.Errorf(allot.EUNAUTHORIZED, "Access token is empty, malformed, expired or revoked.")
	tenant, ok := tokenTenant(secret)
	if !ok {
		return allot.Principal{}, unauthorized
	}
	var p allot.Principal
	err := db.view(ctx, func(tx *Tx) error {
		t, u, err := tx.findToken(ctx, tenant, hashToken(secret))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !t.Authenticates(u, tx.now)) {
			return unauthorized
		} else if err != nil {
			return err
		}
		p = allot.Principal{TenantID: tenant, UserID: t.UserID, AppID: t.AppID, Name: t.Owner}
		if t.AppID != "" {
			p.Roles, err = tx.findAppRoles(ctx, tenant, t.AppID)
		} else {
			p.Roles, err = tx.findRoles(ctx, tenant, t.UserID)
		}
		return err
	})
	return p, err
}

// findToken reads a token by its hash with the user it belongs to (nil for
// an application's token, whose name is then the token's Owner).
func (tx *Tx) findToken(ctx context.Context, tenantID, hash string) (*allot.Token, *allot.User, error) {
	t := &allot.Token{TenantID: tenantID}
	var user, app, upn, appName sql.NullString
	var enabled sql.NullBool
	var expires int64
	var revoked, deleted sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT t.user_id, t.app_id, t.expires_at, t.revoked_at, u.upn, u.account_enabled, u.deleted_at, a.display_name FROM tokens t
		LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.user_id = t.user_id
		LEFT JOIN applications a ON a.tenant_id = t.tenant_id AND a.app_id = t.app_id
		WHERE t.tenant_id = $1 AND t.token_hash = $2`, tenantID, hash).Scan(&user, &app, &expires, &revoked, &upn, &enabled, &deleted, &appName)
	t.UserID, t.AppID, t.ExpiresAt = user.String, app.String, fromMicros(expires)
	if revoked.Valid {
		t.RevokedAt = fromMicros(revoked.Int64)
	}
	if t.AppID != "" {
		t.Owner = appName.String
		return t, nil, err
	}
	t.Owner = upn.String
	var u *allot.User
	if upn.Valid {
		u = &allot.User{ID: t.UserID, TenantID: tenantID, UserPrincipalName: upn.String, AccountEnabled: enabled.Bool, DeletedAt: fromMicros(deleted.Int64)}
	}
	return t, u, err
}

// tokenTenant extracts the tenant id from a secret's second part.
func tokenTenant(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok || len(rest) != 32+1+43 || rest[32] != '_' {
		return "", false
	}
	h := rest[:32]
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], true
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
