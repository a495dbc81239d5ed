package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.UserReadService = (*DB)(nil)

// This file reads one user for the API's GETs in one statement, without
// an explicit BEGIN … COMMIT: a single SELECT sees one snapshot on both
// engines, so the user and its licenses read by one join are consistent,
// and the read pool's prepared statement runs with no transaction around
// it (database/sql's BEGIN and COMMIT were a sixth of a licenseDetails
// request).

// userKey returns the column and value that find the user named by id or
// userPrincipalName (a UPN has an @), in lower case.
func userKey(idOrUPN string) (col, key string) {
	key = strings.ToLower(strings.TrimSpace(idOrUPN))
	if strings.Contains(key, "@") {
		return "u.upn_lower", key
	}
	return "u.user_id", key
}

// ReadUser implements allot.UserReadService: FindUser's user in one
// statement, its licenses (in FindUser's order) only when asked.
func (db *DB) ReadUser(ctx context.Context, p allot.Principal, idOrUPN string, withLicenses bool) (*allot.User, error) {
	return db.ReadUserAt(ctx, p, idOrUPN, withLicenses, 0)
}

// ReadUserAt is ReadUser given a hint of where the user's row lies: row is
// the allot.UserRow.Row that ScanEntitlementTables reported for the user,
// 0 for none. On SQLite the hinted read finds the row by its rowid in one
// B-tree descent instead of two (the key's index, then the table); it
// keeps every condition of the read by key, so a stale hint (rows
// renumbered by VACUUM, a user purged and its row reused, a user deleted)
// finds nothing, and the user is then read by key: a wrong hint costs one
// more read, never a wrong answer. Engines without row locators
// (PostgreSQL) ignore the hint. Returns UserNotFound as ReadUser does.
func (db *DB) ReadUserAt(ctx context.Context, p allot.Principal, idOrUPN string, withLicenses bool, row int64) (*allot.User, error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, err
	}
	col, key := userKey(idOrUPN)
	if row != 0 && db.d.rowID != "" {
		u, err := db.readUser(ctx, db.userReadQuery(col, withLicenses, true), withLicenses, p.TenantID, key, row)
		if u != nil || err != nil {
			return u, err
		}
	}
	u, err := db.readUser(ctx, db.userReadQuery(col, withLicenses, false), withLicenses, p.TenantID, key)
	if u == nil && err == nil {
		return nil, allot.UserNotFound(idOrUPN)
	}
	return u, err
}

// userReadQuery returns ReadUserAt's statement: the user, not deleted,
// whose column col ($2) matches in the tenant ($1), with its licenses if
// asked, only at the row $3 if hinted.
func (db *DB) userReadQuery(col string, withLicenses, hinted bool) string {
	hint := ""
	if hinted {
		hint = `u.` + db.d.rowID + ` = $3 AND `
	}
	// One concatenation for the rest: a read builds its statement's text
	// anew.
	if !withLicenses {
		return `SELECT ` + userColumns + ` FROM users u WHERE ` + hint + `u.tenant_id = $1 AND ` + col + ` = $2 AND u.deleted_at IS NULL`
	}
	return `SELECT ` + userColumns + `, l.sku_id, l.pool, l.disabled_plans, l.assigned_at
		FROM users u LEFT JOIN licenses l ON l.tenant_id = u.tenant_id AND l.user_id = u.user_id
		WHERE ` + hint + `u.tenant_id = $1 AND ` + col + ` = $2 AND u.deleted_at IS NULL`
}

// readUser runs a userReadQuery: the user it finds, nil when none.
func (db *DB) readUser(ctx context.Context, query string, withLicenses bool, args ...any) (*allot.User, error) {
	rows, err := db.queryRead(ctx, query, args...)
	if err != nil {
		return nil, db.d.translate(err)
	}
	defer rows.Close()
	var u *allot.User
	for rows.Next() {
		if !withLicenses {
			u, err = scanUser(rows)
		} else {
			u, err = scanUserLicense(rows, u)
		}
		if err != nil {
			return nil, db.d.translate(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.d.translate(err)
	}
	if u != nil {
		sortAssigned(u.Licenses) // FindUser's order, as licensesOf gives it
	}
	return u, nil
}

// scanUserLicense scans one row of the user-and-licenses join into u (a
// new user for the first row) and returns it.
func scanUserLicense(rows *sql.Rows, u *allot.User) (*allot.User, error) {
	var at sql.NullInt64
	var sku, pool, disabled sql.NullString
	v, err := scanUser(rows, &sku, &pool, &disabled, &at)
	if err != nil {
		return nil, err
	}
	if u == nil {
		u = v
	}
	if sku.Valid {
		u.Licenses = append(u.Licenses, allot.License{SKUID: sku.String, SubscriptionID: pool.String,
			DisabledPlans: splitPlans(disabled.String), AssignedAt: fromMicros(at.Int64)})
	}
	return u, nil
}

// FindUserLicenses implements allot.UserReadService: the user's id and
// licenses in one statement, sorted by SKU, without their AssignedAt.
func (db *DB) FindUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, err
	}
	col, key := userKey(idOrUPN)
	rows, err := db.queryRead(ctx, `SELECT u.user_id, l.sku_id, l.pool, l.disabled_plans
		FROM users u LEFT JOIN licenses l ON l.tenant_id = u.tenant_id AND l.user_id = u.user_id
		WHERE u.tenant_id = $1 AND `+col+` = $2 AND u.deleted_at IS NULL`, p.TenantID, key)
	if err != nil {
		return nil, db.d.translate(err)
	}
	defer rows.Close()
	var u *allot.User
	for rows.Next() {
		var id string
		var sku, pool, disabled sql.NullString
		if err := rows.Scan(&id, &sku, &pool, &disabled); err != nil {
			return nil, db.d.translate(err)
		}
		if u == nil {
			u = &allot.User{ID: id, TenantID: p.TenantID}
		}
		if sku.Valid {
			u.Licenses = append(u.Licenses, allot.License{SKUID: sku.String, SubscriptionID: pool.String, DisabledPlans: splitPlans(disabled.String)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.d.translate(err)
	}
	if u == nil {
		return nil, allot.UserNotFound(idOrUPN)
	}
	allot.SortLicenses(u.Licenses)
	return u, nil
}
