package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.UserService = (*DB)(nil)

const userColumns = `u.user_id, u.tenant_id, u.upn, u.display_name, u.given_name, u.surname, u.job_title, u.usage_location, u.account_enabled, u.created_at, u.deleted_at`

// CreateUser implements allot.UserService.
func (db *DB) CreateUser(ctx context.Context, p allot.Principal, u *allot.User) error {
	if err := allot.Authorize(p, allot.ActionManageUsers); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		u.TenantID = p.TenantID
		if u.ID == "" {
			u.ID = db.newID()
		}
		u.ID = strings.ToLower(u.ID)
		if u.CreatedAt.IsZero() {
			u.CreatedAt = tx.now
		}
		u.DeletedAt, u.Licenses = time.Time{}, nil
		return tx.createUser(ctx, p, u)
	})
}

// createUser writes a new user, refusing a userPrincipalName on a domain
// the tenant does not have, and audits it.
func (tx *Tx) createUser(ctx context.Context, p allot.Principal, u *allot.User) error {
	if err := tx.checkUPNDomain(ctx, u.TenantID, u.UserPrincipalName); err != nil {
		return err
	}
	if err := tx.insertUser(ctx, u); err != nil {
		return err
	}
	if err := tx.touch(ctx, u); err != nil {
		return err
	}
	return tx.audit(ctx, p, auditEvent{action: allot.AuditUserCreate, targetType: "user", targetID: u.ID, after: userJSON(u)})
}

func (tx *Tx) insertUser(ctx context.Context, u *allot.User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, user_id, upn, upn_lower, display_name, display_lower, given_name, surname, job_title, usage_location, account_enabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.TenantID, u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName), u.DisplayName, strings.ToLower(u.DisplayName),
		u.GivenName, u.Surname, u.JobTitle, u.UsageLocation, u.AccountEnabled, micros(u.CreatedAt))
	if allot.ErrorCode(tx.db.d.translate(err)) == allot.ECONFLICT {
		return &allot.Error{Code: allot.ECONFLICT, Field: "userPrincipalName", Value: u.UserPrincipalName,
			Message: "Another object with the same value for property userPrincipalName already exists."}
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO user_versions (tenant_id, user_id, version) VALUES ($1, $2, 1)`, u.TenantID, u.ID)
	return err
}

// FindUser implements allot.UserService.
func (db *DB) FindUser(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, err
	}
	var u *allot.User
	err := db.view(ctx, func(tx *Tx) (err error) {
		if u, err = tx.findUser(ctx, p.TenantID, idOrUPN, false); err != nil {
			return err
		}
		u.Licenses, err = tx.findLicenses(ctx, p.TenantID, u.ID)
		return err
	})
	return u, err
}

// findUser returns the active user with the id or userPrincipalName, locking
// its row with lock so that concurrent changes to one user serialize.
func (tx *Tx) findUser(ctx context.Context, tenantID, idOrUPN string, lock bool) (*allot.User, error) {
	col, key := userKey(idOrUPN)
	q := `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND ` + col + ` = $2 AND u.deleted_at IS NULL`
	if lock {
		q += tx.db.d.forUpdate
	}
	u, err := scanUser(tx.QueryRowContext(ctx, q, tenantID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(idOrUPN)
	}
	return u, err
}

// notFound is the ENOTFOUND of a user named by id or userPrincipalName.
func notFound(id string) error { return allot.UserNotFound(id) }

// queryUsers runs a query selecting userColumns and returns its users.
func (tx *Tx) queryUsers(ctx context.Context, q string, args ...any) ([]*allot.User, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []*allot.User
	for rows.Next() {
		tx.yield()
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

func scanUser(row scanner, more ...any) (*allot.User, error) {
	var u allot.User
	var created int64
	var deleted sql.NullInt64
	err := row.Scan(append([]any{&u.ID, &u.TenantID, &u.UserPrincipalName, &u.DisplayName, &u.GivenName, &u.Surname, &u.JobTitle,
		&u.UsageLocation, &u.AccountEnabled, &created, &deleted}, more...)...)
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.DeletedAt = fromMicros(created), fromMicros(deleted.Int64)
	return &u, nil
}

// FindUsers implements allot.UserService.
func (db *DB) FindUsers(ctx context.Context, p allot.Principal, f allot.UserFilter) ([]*allot.User, bool, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, false, err
	}
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	var users []*allot.User
	more := false
	err := db.view(ctx, func(tx *Tx) error {
		q, args := userQuery(p.TenantID, f, false, db.d.prefixRange)
		var err error
		if users, err = tx.queryUsers(ctx, q, args...); err != nil {
			return err
		}
		if len(users) > f.Limit {
			users, more = users[:f.Limit], true
		}
		if f.WithLicenses {
			return tx.fillLicenses(ctx, p.TenantID, users, f.Deleted)
		}
		return nil
	})
	return users, more, err
}

// CountUsers implements allot.UserService.
func (db *DB) CountUsers(ctx context.Context, p allot.Principal, f allot.UserFilter) (int, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return 0, err
	}
	f.After = ""
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		q, args := userQuery(p.TenantID, f, true, db.d.prefixRange)
		return tx.QueryRowContext(ctx, q, args...).Scan(&n)
	})
	return n, err
}

// userQuery builds the SELECT for a filter. Users holding a SKU are read
// through the licenses index so that a page costs the same on any page.
//
// With prefixRange (byte-ordered text, dialect.prefixRange) a name search
// also bounds display_lower by a range, which the name index serves: every
// string starting with the prefix sorts between it and the prefix followed
// by the byte 0xFF, which no UTF-8 text holds.
func userQuery(tenantID string, f allot.UserFilter, count, prefixRange bool) (string, []any) {
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var from, order string
	where := []string{}
	lics := "licenses"
	if f.Deleted {
		lics = "deleted_licenses" // where a deleted user's licenses wait for a restore
	}
	switch {
	case f.Order != allot.UserOrderID:
		from, order = `users u`, orderedUsers(f, &where, arg, lics)
	case f.SKUID != "":
		from = lics + ` l JOIN users u ON u.tenant_id = l.tenant_id AND u.user_id = l.user_id`
		where = append(where, `l.tenant_id = $1`, `l.sku_id = `+arg(strings.ToLower(f.SKUID)))
		if f.After != "" {
			where = append(where, `l.user_id > `+arg(strings.ToLower(f.After)))
		}
		order = ` ORDER BY l.user_id`
	default:
		from = `users u`
		where = append(where, `u.tenant_id = $1`)
		if f.After != "" {
			where = append(where, `u.user_id > `+arg(strings.ToLower(f.After)))
		}
		order = ` ORDER BY u.user_id`
	}
	if f.Deleted {
		where = append(where, `u.deleted_at IS NOT NULL`)
	} else {
		where = append(where, `u.deleted_at IS NULL`)
	}
	if f.ID != "" {
		where = append(where, `u.user_id = `+arg(strings.ToLower(f.ID)))
	}
	if f.UPN != "" {
		where = append(where, `u.upn_lower = `+arg(strings.ToLower(f.UPN)))
	}
	if f.Enabled != nil {
		where = append(where, `u.account_enabled = `+arg(*f.Enabled))
	}
	if f.NamePrefix != "" {
		where = append(where, `u.display_lower LIKE `+arg(likePrefix(f.NamePrefix))+` ESCAPE '\'`)
		if prefixRange {
			lo := strings.ToLower(f.NamePrefix)
			where = append(where, `u.display_lower >= `+arg(lo), `u.display_lower < `+arg(lo+"\xff"))
		}
	}
	if f.Unlicensed {
		where = append(where, `NOT EXISTS (SELECT 1 FROM `+lics+` x WHERE x.tenant_id = u.tenant_id AND x.user_id = u.user_id)`)
	}
	if f.Licensed {
		where = append(where, `EXISTS (SELECT 1 FROM `+lics+` x WHERE x.tenant_id = u.tenant_id AND x.user_id = u.user_id)`)
	}
	cond := strings.Join(where, " AND ")
	switch {
	case count && f.CountAtMost > 0:
		return `SELECT COUNT(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + cond + ` LIMIT ` + arg(f.CountAtMost) + `) x`, args
	case count:
		return `SELECT COUNT(*) FROM ` + from + ` WHERE ` + cond, args
	}
	return `SELECT ` + userColumns + ` FROM ` + from + ` WHERE ` + cond + order + ` LIMIT ` + arg(f.Limit+1), args
}

// orderedUsers adds to where the conditions of a listing in f.Order (the
// product held, the keyset cursor) and returns its ORDER BY; ties are
// broken by id in the same direction, so the cursor is (key, id).
func orderedUsers(f allot.UserFilter, where *[]string, arg func(any) string, lics string) string {
	col, dir, cmp := `u.display_lower`, ` ASC`, `>`
	if f.Order == allot.UserOrderUPN || f.Order == allot.UserOrderUPNDesc {
		col = `u.upn_lower`
	}
	if f.Order.Desc() {
		dir, cmp = ` DESC`, `<`
	}
	*where = append(*where, `u.tenant_id = $1`)
	if f.SKUID != "" {
		*where = append(*where, `EXISTS (SELECT 1 FROM `+lics+` l WHERE l.tenant_id = u.tenant_id AND l.user_id = u.user_id AND l.sku_id = `+arg(strings.ToLower(f.SKUID))+`)`)
	}
	if f.After != "" {
		*where = append(*where, `(`+col+`, u.user_id) `+cmp+` (`+arg(strings.ToLower(f.AfterKey))+`, `+arg(strings.ToLower(f.After))+`)`)
	}
	return ` ORDER BY ` + col + dir + `, u.user_id` + dir
}

func likePrefix(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return s + "%"
}

// UpdateUser implements allot.UserService.
func (db *DB) UpdateUser(ctx context.Context, p allot.Principal, idOrUPN string, upd allot.UserUpdate) (*allot.User, error) {
	if err := allot.AuthorizeUserUpdate(p, upd); err != nil {
		return nil, err
	}
	var out *allot.User
	err := db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, p.TenantID, idOrUPN, true)
		if err != nil {
			return err
		}
		if u.Licenses, err = tx.findLicenses(ctx, p.TenantID, u.ID); err != nil {
			return err
		}
		before := userJSON(u)
		if err := upd.Apply(u); err != nil {
			return err
		}
		if reflect.DeepEqual(before, userJSON(u)) {
			out = u
			return nil // nothing changes, nothing to record
		}
		if err := allot.CheckUsageLocationKept(u, upd); err != nil {
			return err
		}
		if blocked := before["accountEnabled"] == true && !u.AccountEnabled; blocked {
			if err := tx.keepGlobalAdminOf(ctx, p.TenantID, u.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET display_name = $3, display_lower = $4, given_name = $5, surname = $6, job_title = $7, usage_location = $8, account_enabled = $9
			WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID, u.DisplayName, strings.ToLower(u.DisplayName), u.GivenName, u.Surname, u.JobTitle, u.UsageLocation, u.AccountEnabled)
		if err != nil {
			return err
		}
		if err := tx.touch(ctx, u); err != nil {
			return err
		}
		out = u
		return tx.audit(ctx, p, auditEvent{action: allot.AuditUserUpdate, targetType: "user", targetID: u.ID, before: before, after: userJSON(u)})
	})
	return out, err
}

func userJSON(u *allot.User) map[string]any {
	return map[string]any{"userPrincipalName": u.UserPrincipalName, "displayName": u.DisplayName, "usageLocation": u.UsageLocation,
		"accountEnabled": u.AccountEnabled, "givenName": u.GivenName, "surname": u.Surname, "jobTitle": u.JobTitle}
}
