package sqlstore

import "github.com/allot-project/allot"

// UserQuery exposes the listing query of FindUsers to the tests of
// package sqlstore_test, which ask SQLite how it runs it.
func (db *DB) UserQuery(tenantID string, f allot.UserFilter) (string, []any) {
	return userQuery(tenantID, f, false, db.d.prefixRange)
}
