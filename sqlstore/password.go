package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"golang.org/x/crypto/argon2"
)

var _ allot.PasswordService = (*DB)(nil)

// Argon2id parameters of new hashes: OWASP's first recommended setting
// (19 MiB, 2 passes, 1 lane). Each hash records its own, so raising these
// leaves existing hashes readable.
const (
	argonMemoryKiB = 19 * 1024
	argonPasses    = 2
	argonLanes     = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
	// maxHashing bounds the hashes computed at once, so that a burst of
	// sign-ins costs at most maxHashing × argonMemoryKiB of memory.
	maxHashing = 4
)

// dummyHash is what a password is checked against when the user is unknown,
// deleted or has none, so that the answer costs the same time; it matches
// no password, since its key is all zeros and never argon2's output.
var dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonPasses, argonLanes,
	base64.RawStdEncoding.EncodeToString(make([]byte, argonSaltLen)), base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen)))

// SetPassword implements allot.PasswordService.
func (db *DB) SetPassword(ctx context.Context, tenantID, idOrUPN, password string) error {
	if err := allot.ValidatePassword(password); err != nil {
		return err
	}
	hash, err := db.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, tenantID, idOrUPN, true)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO passwords (tenant_id, user_id, hash, set_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, user_id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at`, u.TenantID, u.ID, hash, micros(tx.now))
		if err != nil {
			return err
		}
		return tx.audit(ctx, operator(tenantID), auditEvent{action: allot.AuditPasswordSet, targetType: "user", targetID: u.ID,
			after: map[string]any{"passwordSetAt": tx.now}})
	})
}

// SignIn implements allot.PasswordService. The password is checked outside
// any transaction (a slow hash must not hold a connection), against the
// dummy hash when there is no user or no password; the token is then issued
// in a transaction that reads the user again, so a user blocked meanwhile
// is refused.
func (db *DB) SignIn(ctx context.Context, username, password string, ttl time.Duration) (string, *allot.Token, error) {
	if err := allot.ValidateTokenTTL(ttl); err != nil {
		return "", nil, err
	}
	refused := &allot.Error{Code: allot.EUNAUTHORIZED, Field: "username", Message: "The username or password is incorrect, or the account cannot sign in."}
	c, err := db.findCredential(ctx, username)
	if err != nil {
		return "", nil, err
	}
	ok, err := db.checkPassword(ctx, c.hash, password)
	if err != nil {
		return "", nil, err
	}
	if !ok || !c.found || !c.enabled {
		return "", nil, refused
	}
	secret, t, err := db.newToken(c.tenantID)
	if err != nil {
		return "", nil, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, c.tenantID, c.userID, false)
		if err != nil || !u.AccountEnabled {
			return refused
		}
		t.UserID, t.Owner = u.ID, u.UserPrincipalName
		if err := tx.storeToken(ctx, secret, t, ttl); err != nil {
			return err
		}
		p := allot.Principal{TenantID: u.TenantID, UserID: u.ID, Name: u.UserPrincipalName, Via: allot.ChannelUI}
		return tx.audit(ctx, p, auditEvent{action: allot.AuditSignIn, targetType: "user", targetID: u.ID,
			after: map[string]any{"tokenId": t.ID, "expiresAt": t.ExpiresAt}})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// credential is what sign-in reads of a user: found is false for an
// unknown or deleted user, and hash is then, or when the user has no
// password, the dummy hash.
type credential struct {
	found            bool
	tenantID, userID string
	enabled          bool
	hash             string
}

// findCredential reads the active user whose userPrincipalName is username
// (any case) in the tenant owning its domain, with the user's password hash.
func (db *DB) findCredential(ctx context.Context, username string) (credential, error) {
	c := credential{hash: dummyHash}
	upn := strings.ToLower(strings.TrimSpace(username))
	err := db.view(ctx, func(tx *Tx) error {
		var hash sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT u.tenant_id, u.user_id, u.account_enabled, pw.hash FROM domains d
			JOIN users u ON u.tenant_id = d.tenant_id AND u.upn_lower = $2 AND u.deleted_at IS NULL
			LEFT JOIN passwords pw ON pw.tenant_id = u.tenant_id AND pw.user_id = u.user_id
			WHERE d.name = $1`, allot.UPNDomain(upn), upn).Scan(&c.tenantID, &c.userID, &c.enabled, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		c.found = err == nil && hash.Valid
		if c.found {
			c.hash = hash.String
		}
		return err
	})
	return c, err
}

// hashPassword returns password's argon2id hash with a new random salt, in
// PHC string format.
func (db *DB) hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(db.rand, salt); err != nil {
		return "", err
	}
	if err := db.acquireHashing(ctx); err != nil {
		return "", err
	}
	defer func() { <-db.hashing }()
	key := argon2.IDKey([]byte(password), salt, argonPasses, argonMemoryKiB, argonLanes, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonPasses, argonLanes,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkPassword reports whether password matches hash, computed with the
// hash's own parameters and compared in constant time. A hash it cannot
// read is an error: the database holds something allot did not write.
func (db *DB) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	ph, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if err := db.acquireHashing(ctx); err != nil {
		return false, err
	}
	defer func() { <-db.hashing }()
	key := argon2.IDKey([]byte(password), ph.salt, ph.passes, ph.memory, ph.lanes, uint32(len(ph.key)))
	return subtle.ConstantTimeCompare(key, ph.key) == 1, nil
}

// acquireHashing waits for one of the maxHashing hashing slots, or for
// ctx to end.
func (db *DB) acquireHashing(ctx context.Context) error {
	select {
	case db.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// phc is a parsed argon2id hash.
type phc struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

// parsePHC reads "$argon2id$v=19$m=…,t=…,p=…$salt$key", refusing other
// algorithms, versions and parameters too small or too large to be ours.
func parsePHC(s string) (phc, error) {
	bad := fmt.Errorf("sqlstore: unreadable password hash %.20q", s)
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, bad
	}
	var h phc
	var lanes uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.passes, &lanes); err != nil || n != 3 {
		return phc{}, bad
	}
	if h.memory < 8*lanes || h.memory > 1<<22 || h.passes < 1 || h.passes > 64 || lanes < 1 || lanes > 255 {
		return phc{}, bad
	}
	h.lanes = uint8(lanes)
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 {
		return phc{}, bad
	}
	return h, nil
}
