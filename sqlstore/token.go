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
	var raw [32]byte
	if _, err := io.ReadFull(db.rand, raw[:]); err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + strings.ReplaceAll(tenantID, "-", "") + "_" + base64.RawURLEncoding.EncodeToString(raw[:])
	t := &allot.Token{ID: db.newID(), TenantID: tenantID}
	err := db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, tenantID, idOrUPN, false)
		if err != nil {
			return err
		}
		t.UserID, t.CreatedAt, t.ExpiresAt = u.ID, tx.now, tx.now.Add(ttl)
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (tenant_id, token_hash, token_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			tenantID, hashToken(secret), t.ID, t.UserID, micros(t.CreatedAt), micros(t.ExpiresAt))
		if err != nil {
			return err
		}
		return tx.audit(ctx, operator(tenantID), auditEvent{action: allot.AuditTokenCreate, targetType: "token", targetID: t.ID,
			after: map[string]any{"userId": t.UserID, "expiresAt": t.ExpiresAt}})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// RevokeToken implements allot.TokenService.
func (db *DB) RevokeToken(ctx context.Context, secretOrID string) error {
	return db.update(ctx, func(tx *Tx) error {
		const returning = ` AND revoked_at IS NULL RETURNING tenant_id, token_id, user_id`
		q, args := `UPDATE tokens SET revoked_at = $1 WHERE token_id = $2`+returning, []any{micros(tx.now), strings.ToLower(secretOrID)}
		if tenant, ok := tokenTenant(secretOrID); ok {
			q, args = `UPDATE tokens SET revoked_at = $1 WHERE tenant_id = $2 AND token_hash = $3`+returning, []any{micros(tx.now), tenant, hashToken(secretOrID)}
		}
		var tenantID, tokenID, userID string
		err := tx.QueryRowContext(ctx, q, args...).Scan(&tenantID, &tokenID, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return allot.Errorf(allot.ENOTFOUND, "No active token matches.")
		} else if err != nil {
			return err
		}
		return tx.audit(ctx, operator(tenantID), auditEvent{action: allot.AuditTokenRevoke, targetType: "token", targetID: tokenID,
			after: map[string]any{"userId": userID, "revokedAt": tx.now}})
	})
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
		p = allot.Principal{TenantID: tenant, UserID: u.ID, Name: u.UserPrincipalName}
		p.Roles, err = tx.findRoles(ctx, tenant, u.ID)
		return err
	})
	return p, err
}

// findToken reads a token by its hash with the user it belongs to.
func (tx *Tx) findToken(ctx context.Context, tenantID, hash string) (*allot.Token, *allot.User, error) {
	t, u := &allot.Token{TenantID: tenantID}, &allot.User{TenantID: tenantID}
	var expires int64
	var revoked, deleted sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT t.user_id, t.expires_at, t.revoked_at, u.upn, u.account_enabled, u.deleted_at FROM tokens t
		JOIN users u ON u.tenant_id = t.tenant_id AND u.user_id = t.user_id
		WHERE t.tenant_id = $1 AND t.token_hash = $2`, tenantID, hash).Scan(&u.ID, &expires, &revoked, &u.UserPrincipalName, &u.AccountEnabled, &deleted)
	t.UserID, t.ExpiresAt = u.ID, fromMicros(expires)
	if revoked.Valid {
		t.RevokedAt = time.UnixMicro(revoked.Int64).UTC()
	}
	u.DeletedAt = fromMicros(deleted.Int64)
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
