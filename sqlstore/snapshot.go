package sqlstore

import (
	"context"
	"errors"
	"maps"
	"runtime/trace"
	"sync/atomic"

	"github.com/allot-project/allot"
)

// Snapshot is a copy of the users' committed entitlements kept outside
// the database (the server's license-check index), from which a bulk
// change may plan instead of reading every user and license it names: at
// 100 000 users drawn from a million, that read is most of the change's
// time (docs/performance.md, W5 and W6). The copy may lag
// the database; the change proves it current in its own write, user by
// user, by the versions (bulkFromSnapshot).
type Snapshot interface {
	// BulkEntitlements returns the entitlements, versions and usage
	// locations included, of the users not deleted that keys name (ids or
	// userPrincipalNames in any case, with spaces around), the i-th the
	// user keys[i] names, one *allot.Entitlement a user however many keys
	// name it, their userPrincipalNames as the users table spells them;
	// false when it lacks any of them or holds one inexactly.
	BulkEntitlements(tenantID string, keys []string) ([]*allot.Entitlement, bool)
}

// PlanFrom lets bulk changes plan from s (nil: never). SQLite only: on
// PostgreSQL a bulk change locks its users' rows as it reads them. Call it
// before the database is used concurrently.
func (db *DB) PlanFrom(s Snapshot) {
	if !db.d.rowLocks {
		db.snapshot = s
	}
}

// snapshotCounts count the bulk changes planned from the snapshot, and
// those of them planned again from SQL because it was stale (for tests).
type snapshotCounts struct{ snapshotPlans, snapshotStale atomic.Int64 }

// errStale says that a user's version in the database is not the one a
// bulk change planned from: the snapshot lagged, and the change is planned
// again from SQL.
var errStale = errors.New("sqlstore: the snapshot is behind the database")

// bulkFromSnapshot runs a bulk change authorized by bulk, planned from the
// database's snapshot (PlanFrom) instead of from its users and licenses;
// ok is false, and nothing of it is left, when it did not: no snapshot, a
// dry run, a user the snapshot lacks (it cannot prove one absent), or a
// user whose version in the database is not the snapshot's. A license the
// snapshot gives has no assignment date, which no rule reads and a bulk
// change does not write for a license it keeps; the snapshot keeps them in
// SKU order, so the licenses of the few users whose data rules may read
// their order for this change are read from SQL (orderLicenses).
//
// The proof: every change of a user's entitlement or account moves its
// version on in the same transaction (touch), and the snapshot holds each
// user as of a version. The write first moves each changed user's version
// on only where it is still the snapshot's, and requires every one to have
// moved (bumpProven), and reads and compares the versions of the users it
// leaves alone, whose outcome (unchanged, refused) was decided from the
// snapshot too (checkVersions), before it writes anything else: a stale
// plan could break a constraint first. A refusal is proven the same way
// before it is returned. All in the transaction of the write, which the
// single writer serialises with every other, so no change can fall between
// the proof and the commit.
func (tx *Tx) bulkFromSnapshot(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange, pools map[string][]allot.SeatPool) (results []allot.BulkResult, err error, ok bool) {
	s := tx.db.snapshot
	if s == nil || b.DryRun {
		return nil, nil, false
	}
	// A trace region until planning begins (bulkPlanned).
	region := trace.StartRegion(ctx, "sqlstore.bulk.snapshot")
	defer func() {
		if region != nil {
			region.End()
		}
	}()
	es, found := s.BulkEntitlements(p.TenantID, b.Users)
	if !found {
		return nil, nil, false
	}
	// The users in one allocation, and one *allot.User a user, as the
	// snapshot gives one *allot.Entitlement: a user named twice is found
	// in proof, by the one map of the users a change needs anyway.
	named := make([]*allot.User, len(es))
	proof := make(map[string]int64, len(es))
	all := make([]allot.User, len(es))
	var again []int // positions of users named before
	for i, e := range es {
		n := len(proof)
		if proof[e.UserID] = e.Version; len(proof) == n {
			again = append(again, i)
			continue
		}
		u := &all[i]
		u.ID, u.TenantID, u.UserPrincipalName, u.AccountEnabled = e.UserID, e.TenantID, e.UserPrincipalName, e.AccountEnabled
		u.UsageLocation, u.Licenses = e.UsageLocation, e.Licenses
		named[i] = u
	}
	if len(again) > 0 {
		first := make(map[*allot.Entitlement]*allot.User, len(again))
		for _, i := range again {
			first[es[i]] = nil
		}
		for i, u := range named {
			if _, ok := first[es[i]]; ok && u != nil {
				first[es[i]] = u
			}
		}
		for _, i := range again {
			named[i] = first[es[i]]
		}
	}
	if err := tx.orderLicenses(ctx, p.TenantID, named, b.Change); err != nil {
		return nil, err, true
	}
	pools = maps.Clone(pools)
	if err := tx.heldPools(ctx, p.TenantID, named, pools); err != nil {
		return nil, err, true
	}
	// A stale plan is rolled back: to a savepoint, or, when the change runs
	// first in its transaction (tx.pristine), by beginning the transaction
	// again, which spares SQLite the copy of every page the change writes
	// that a savepoint makes (groupcommit.go).
	if !tx.pristine {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT snapshot`); err != nil {
			return nil, err, true
		}
	}
	tx.proof = proof
	defer func() { tx.proof = nil }()
	tx.db.snapshotPlans.Add(1)
	region.End()
	region = nil
	results, err = tx.bulkPlanned(ctx, p, b, named, pools)
	var refused *allot.Error
	if err == nil || errors.As(err, &refused) {
		if verr := tx.checkVersions(ctx, p.TenantID); verr != nil {
			err = verr
		}
	}
	switch {
	case !errors.Is(err, errStale):
		if !tx.pristine {
			if _, rerr := tx.ExecContext(ctx, `RELEASE snapshot`); rerr != nil {
				return nil, rerr, true
			}
		}
		return results, err, true
	case tx.pristine:
		if err := tx.restart(); err != nil {
			return nil, err, true
		}
	default:
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO snapshot`); err != nil {
			return nil, err, true
		}
		if _, err := tx.ExecContext(ctx, `RELEASE snapshot`); err != nil {
			return nil, err, true
		}
	}
	tx.changes, tx.impacts, tx.mailboxes = nil, nil, nil // the request's own: bulk is all of it
	tx.db.snapshotStale.Add(1)
	return nil, nil, false
}

// orderLicenses reads from SQL, in the order of their assignment, the
// licenses of the users whose data rules may read that order for the
// change ch (allot.DataOrderMatters): the snapshot keeps them in SKU
// order. The versions prove these as they prove the rest.
func (tx *Tx) orderLicenses(ctx context.Context, tenantID string, users []*allot.User, ch allot.LicenseChange) error {
	byID := map[string]*allot.User{}
	for _, u := range users {
		if u != nil && allot.DataOrderMatters(tx.db.catalog, u.Licenses, ch) {
			byID[u.ID] = u
		}
	}
	return tx.readLicenses(ctx, tenantID, byID, mapKeys(byID))
}

// checkVersions reads the versions of the users of tx.proof that the
// write did not move on, and returns errStale if any is not the one
// planned from (or the user is gone); they are proven once it returns nil.
// The snapshot plans no deleted user (BulkEntitlements declines one), and
// a deletion moves the version on, so the version alone proves the user
// still there: one narrow B-tree read, without the users table.
func (tx *Tx) checkVersions(ctx context.Context, tenantID string) error {
	if len(tx.proof) == 0 {
		return nil
	}
	defer clear(tx.proof)
	ids := mapKeys(tx.proof)
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		args := keyArgs(tenantID, chunk)
		rows, err := tx.QueryContext(ctx, `SELECT user_id, version FROM user_versions WHERE tenant_id = $1 AND user_id IN (`+tx.db.d.placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			if v != tx.proof[id] {
				rows.Close()
				return errStale
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n != len(chunk) {
			return errStale
		}
	}
	return nil
}
