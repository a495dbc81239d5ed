package allot

import (
	"context"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Password length limits, in characters. The upper bound keeps a slow hash
// of a hostile input bounded; it is far above any password a person types.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// PasswordService sets users' passwords and signs them in to the admin center.
type PasswordService interface {
	// SetPassword sets the password of the active user idOrUPN of a tenant (an operator's
	// action, audited as the system). Returns ENOTFOUND, EINVALID (ValidatePassword).
	SetPassword(ctx context.Context, tenantID, idOrUPN, password string) error
	// SignIn checks username (a userPrincipalName, any case; UPNs are unique across tenants
	// because domains are) and password and issues a session token valid for ttl: the same
	// kind of token TokenService.Authenticate accepts, so a session's principal comes from
	// Authenticate(secret) and sign-out is RevokeToken(secret). Returns EUNAUTHORIZED, the
	// same answer and about the same time for an unknown user, a wrong password, no password
	// set, a blocked or deleted user.
	SignIn(ctx context.Context, username, password string, ttl time.Duration) (secret string, t *Token, err error)
}

// ValidatePassword returns EINVALID (Field "password", never the password
// itself as Value) unless password is valid UTF-8 of MinPasswordLength to
// MaxPasswordLength characters without control characters. Count is the
// length found and Limit the bound it breaks. Spaces and any letters are
// allowed, so a passphrase is; a control character is refused because it
// is a pasting or terminal mistake that the person could not type again.
func ValidatePassword(password string) error {
	if !utf8.ValidString(password) {
		return &Error{Code: EINVALID, Field: "password", Message: "A password must be valid UTF-8 text."}
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return &Error{Code: EINVALID, Field: "password", Count: n, Limit: MinPasswordLength,
			Message: fmt.Sprintf("A password needs at least %d characters; this one has %d.", MinPasswordLength, n)}
	}
	if n > MaxPasswordLength {
		return &Error{Code: EINVALID, Field: "password", Count: n, Limit: MaxPasswordLength,
			Message: fmt.Sprintf("A password has at most %d characters; this one has %d.", MaxPasswordLength, n)}
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return &Error{Code: EINVALID, Field: "password", Message: "A password cannot contain control characters such as a tab or a line break."}
		}
	}
	return nil
}

// Audit actions of passwords: an operator set a user's password; a user
// signed in to the admin center (the event's target is the user, its
// after the session token's id and expiry).
const (
	AuditPasswordSet = "user.password"
	AuditSignIn      = "user.signin"
)
