package allot

import (
	"context"
	"time"
)

// Token is an API access token, bound to one user and so to one tenant and
// that user's roles. Only a hash of its secret is stored.
type Token struct {
	ID        string // GUID, shown in listings and accepted by revoke
	TenantID  string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero unless revoked
}

// Authenticates reports whether the token lets its user u in at now: it
// is neither revoked nor expired, and u is active (not deleted) with
// sign-in allowed. A nil u (purged) is let in by no token.
func (t *Token) Authenticates(u *User, now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) && u != nil && !u.Deleted() && u.AccountEnabled
}

// ValidateTokenTTL returns EINVALID unless a token's lifetime is positive.
func ValidateTokenTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return &Error{Code: EINVALID, Field: "ttl", Value: ttl.String(), Message: "A token's lifetime must be positive."}
	}
	return nil
}

// TokenService issues and checks access tokens. Creating and revoking are
// operator actions (the CLI with direct database access), so they take no
// principal; both are audited in the token's tenant as the system
// principal (AuditTokenCreate, AuditTokenRevoke).
type TokenService interface {
	// CreateToken issues a token for the active user idOrUPN of a tenant,
	// valid for ttl, and returns the secret, which is shown once and never
	// stored. Returns ENOTFOUND, EINVALID for a ttl not positive.
	CreateToken(ctx context.Context, tenantID, idOrUPN string, ttl time.Duration) (secret string, t *Token, err error)
	// RevokeToken revokes a token given its secret or its id. Returns
	// ENOTFOUND if there is no such token.
	RevokeToken(ctx context.Context, secretOrID string) error
	// Authenticate returns the principal of a valid token: its user, tenant
	// and the user's current roles. Returns EUNAUTHORIZED for an unknown,
	// expired or revoked token, or one whose user is deleted or blocked.
	Authenticate(ctx context.Context, secret string) (Principal, error)
}
