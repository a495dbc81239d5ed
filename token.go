package allot

import (
	"context"
	"time"
)

// Token is an API access token, bound to one user or one application
// (App) and so to one tenant and its owner's roles. Only a hash of its
// secret is stored.
type Token struct {
	ID        string // GUID, shown in listings and accepted by revoke
	TenantID  string
	UserID    string // the owning user; empty for an application's token
	AppID     string // the owning application; empty for a user's token
	Owner     string // the user's userPrincipalName or the application's name
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero unless revoked
}

// Authenticates reports whether the token lets its owner in at now: it is
// neither revoked nor expired, and, for a user's token, its user u is
// active (not deleted) with sign-in allowed. A nil u (purged) is let in by
// no user's token; an application's token ignores u.
func (t *Token) Authenticates(u *User, now time.Time) bool {
	live := t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
	if t.AppID != "" {
		return live
	}
	return live && u != nil && !u.Deleted() && u.AccountEnabled
}

// ValidateTokenTTL returns EINVALID unless a token's lifetime is positive.
func ValidateTokenTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return &Error{Code: EINVALID, Field: "ttl", Value: ttl.String(), Message: "A token's lifetime must be positive."}
	}
	return nil
}

// TokenService issues and checks access tokens. Creating a user's token
// and revoking by secret are operator actions (the CLI with direct database
// access), so they take no principal; they are audited in the token's
// tenant as the system principal (AuditTokenCreate, AuditTokenRevoke).
// Applications' tokens, listings and revocation by id take a principal: a
// Global Administrator through the API (ActionManageRoles, since a token
// carries roles) or the operator as the system principal.
type TokenService interface {
	// CreateToken issues a token for the active user idOrUPN of a tenant,
	// valid for ttl, and returns the secret, which is shown once and never
	// stored. Returns ENOTFOUND, EINVALID for a ttl not positive.
	CreateToken(ctx context.Context, tenantID, idOrUPN string, ttl time.Duration) (secret string, t *Token, err error)
	// RevokeToken revokes a token given its secret or its id. Returns
	// ENOTFOUND if there is no such token.
	RevokeToken(ctx context.Context, secretOrID string) error
	// CreateAppToken issues a token for the application named name in p's
	// tenant, creating the application if no application has that name
	// (case-insensitively) and giving it the roles it does not hold yet;
	// the secret is shown once. Needs ActionManageRoles. Returns EINVALID
	// (ValidateAppToken, ValidateTokenTTL).
	CreateAppToken(ctx context.Context, p Principal, name string, roles []Role, ttl time.Duration) (secret string, t *Token, err error)
	// FindTokens lists the tokens of p's tenant, users' and applications',
	// oldest first, never their secrets. Needs ActionManageRoles.
	FindTokens(ctx context.Context, p Principal) ([]*Token, error)
	// RevokeTenantToken revokes the token with the given id in p's tenant.
	// Needs ActionManageRoles. Returns ENOTFOUND if there is no such
	// active token.
	RevokeTenantToken(ctx context.Context, p Principal, id string) error
	// Authenticate returns the principal of a valid token: its user or
	// application (AppID), tenant and the owner's current roles. Returns EUNAUTHORIZED for an unknown,
	// expired or revoked token, or one whose user is deleted or blocked.
	Authenticate(ctx context.Context, secret string) (Principal, error)
}
