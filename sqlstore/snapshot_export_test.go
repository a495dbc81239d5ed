package sqlstore

// SnapshotPlans returns how many bulk changes were planned from the
// snapshot (PlanFrom), and how many of them were planned again from SQL
// because a user's version proved the snapshot stale.
func (db *DB) SnapshotPlans() (planned, stale int64) {
	return db.snapshotPlans.Load(), db.snapshotStale.Load()
}
