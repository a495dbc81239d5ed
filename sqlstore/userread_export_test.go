package sqlstore

// UserReadQuery returns ReadUserAt's statement for a user named by id or
// by UPN, with or without its licenses, hinted or not.
func (db *DB) UserReadQuery(byUPN, withLicenses, hinted bool) string {
	col, _ := userKey("x")
	if byUPN {
		col, _ = userKey("x@y")
	}
	return db.userReadQuery(col, withLicenses, hinted)
}
