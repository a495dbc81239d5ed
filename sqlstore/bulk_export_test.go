package sqlstore

import "github.com/allot-project/allot"

// BulkUserQuery exposes bulkUserQuery to the tests of package
// sqlstore_test, which ask the engines how they run it.
func (db *DB) BulkUserQuery(byUPN bool, n int) string { return db.bulkUserQuery(byUPN, n) }

// UserDataUpdate exposes userDataUpdate, whose plan TestUserDataUpdatePlan
// checks.
func (db *DB) UserDataUpdate(n int) string { return db.userDataUpdate(n) }

// DataGroupUpdate exposes dataGroupUpdate for mailbox_state and due_at,
// whose plan TestUserDataUpdatePlan checks too.
func (db *DB) DataGroupUpdate(n int) string { return db.dataGroupUpdate(1<<1|1<<10, n) }

// UpsertUserData makes db write data rows with one upsert, as it does on
// engines without a statement journal: the reference that the tests
// compare SQLite's UPDATE and INSERT OR FAIL path with.
func (db *DB) UpsertUserData() { db.d.statementJournal = false }

// RowLines and DumpSQLite expose rowLines and dumpQuery to the tests that
// dump tables.
var (
	RowLines   = rowLines
	DumpSQLite = dumpQuery
)

// SetBulkDataChunk makes bulk changes hold the data rows of n users at a
// time until the test ends. Not for parallel tests.
func SetBulkDataChunk(t interface{ Cleanup(func()) }, n int) {
	old := bulkDataChunk
	bulkDataChunk = n
	t.Cleanup(func() { bulkDataChunk = old })
}

// AuditSubjectsQuery and AuditQuery expose the audit log's reads of
// subject rows, whose plans TestAuditSubjectsPlan checks.
const AuditSubjectsQuery = auditSubjectsQuery

func AuditQuery(tenantID string, f allot.AuditFilter) (string, []any) {
	return auditQuery(tenantID, f, nil)
}
