package sqlstore

// BulkUserQuery exposes bulkUserQuery to the tests of package
// sqlstore_test, which ask the engines how they run it.
func (db *DB) BulkUserQuery(byUPN bool, n int) string { return db.bulkUserQuery(byUPN, n) }
