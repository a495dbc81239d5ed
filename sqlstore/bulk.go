package sqlstore

import (
	"context"
	"maps"
	"runtime/trace"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

// bulkChunk is how many users one statement reads or writes.
const bulkChunk = 500

// bulkDataChunk is how many users' data rows a bulk change holds at once
// (a variable for the tests).
var bulkDataChunk = 8 * bulkChunk

// AssignLicensesBulk implements allot.LicenseService. It works in batches:
// users and their licenses are read in chunks, each user's change is
// planned by allot.PlanLicenseChange in memory, seats are counted per pool
// in memory and then taken with one conditional UPDATE per pool, and rows,
// versions and audit events are written with multi-row statements.
func (db *DB) AssignLicensesBulk(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange) ([]allot.BulkResult, error) {
	var err error
	if b.Change, err = b.Change.Normalize(); err != nil {
		return nil, err
	}
	if !p.Can(allot.ActionAssignLicenses) && p.UserID == "" {
		// Only a user can have purchased a pool: refuse before any read.
		return nil, allot.AuthorizeLicenseChange(p, nil)
	}
	var results []allot.BulkResult
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		results, err = tx.bulk(ctx, p, b)
		return err
	})
	return results, err
}

// bulkUser is one user of a bulk change on its way through the batch.
type bulkUser struct {
	res     *allot.BulkResult
	user    *allot.User
	plan    *allot.LicensePlan
	version int64 // the user's version once moved on (bumpVersions)
}

// bulk runs a bulk change authorized and normalized by AssignLicensesBulk.
func (tx *Tx) bulk(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange) ([]allot.BulkResult, error) {
	pools, err := tx.findPools(ctx, p.TenantID, b.Change.SKUs())
	if err != nil {
		return nil, err
	}
	if err := allot.AuthorizeLicenseChange(p, pools); err != nil {
		return nil, err
	}
	if results, err, ok := tx.bulkFromSnapshot(ctx, p, b, pools); ok {
		return results, err
	}
	region := trace.StartRegion(ctx, "sqlstore.bulk.read")
	users, err := tx.bulkUsers(ctx, p.TenantID, b.Users)
	if err == nil {
		err = tx.bulkLicenses(ctx, p.TenantID, users, pools)
	}
	region.End()
	if err != nil {
		return nil, err
	}
	// The user each key names (nil: none), looked up once: at 100 k keys
	// each lookup lower-cases and hashes a key (0.2 s of W6 when seatsShort
	// and planning each looked them up again).
	named := make([]*allot.User, len(b.Users))
	for i, key := range b.Users {
		named[i] = users[strings.ToLower(strings.TrimSpace(key))]
	}
	return tx.bulkPlanned(ctx, p, b, named, pools)
}

// bulkPlanned plans and writes a bulk change for the users found, named[i]
// the one b.Users[i] names (nil: none, one *allot.User a user), holding
// their licenses, with the pools of the SKUs the change names or the users
// hold.
func (tx *Tx) bulkPlanned(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange, named []*allot.User, pools map[string][]allot.SeatPool) ([]allot.BulkResult, error) {
	// Each step a trace region (go tool trace, User-defined regions), so
	// that a bench run with --trace tells where a bulk change's time goes.
	region := trace.StartRegion(ctx, "sqlstore.bulk.plan")
	defer func() { region.End() }()
	results := make([]allot.BulkResult, len(b.Users))
	var err error
	// Read the counters again, now locked (after the users, in the order
	// single assignments lock them), so that the book below is exact.
	if pools, err = tx.lockPools(ctx, p.TenantID, slices.Collect(maps.Keys(pools))); err != nil {
		return nil, err
	}
	if b.AllOrNothing && !b.DryRun {
		if i, err := seatsShort(p, b, named, pools); err != nil {
			results[i] = allot.BulkResult{User: b.Users[i], UserID: named[i].ID, Err: err}
			return results, err
		}
	}
	seen := make(map[*allot.User]int, len(named))
	todo := make([]bulkUser, 0, len(named))
	seats := newSeatBook(pools)
	pr := newProgress(b.Progress, len(b.Users), bulkWriteSteps)
	for i, key := range b.Users {
		if i%bulkChunk == 0 {
			pr.planned(i)
		}
		r := &results[i]
		r.User = key
		u := named[i]
		if u == nil {
			r.Err = notFound(key)
		} else if first, dup := seen[u]; dup { // one *allot.User per user (bulkUsers, bulkFromSnapshot)
			*r = results[first]
			r.User, r.Changed = key, false
			continue
		} else {
			seen[u] = i
			r.UserID = u.ID
			r.Err = tx.planBulkUser(p, u, pools, b, seats, r, &todo)
		}
		if r.Err != nil && b.AllOrNothing {
			return results, r.Err
		}
	}
	region.End()
	region = trace.StartRegion(ctx, "sqlstore.bulk.write")
	if b.DryRun || len(todo) == 0 {
		pr.writing(0)
		return results, tx.dryRunData(ctx, p.TenantID, b, todo) // a dry run says what would happen to the users' data
	}
	pr.writing(bulkWriteSteps * len(todo))
	return results, tx.writeBulk(ctx, p, todo, seats, pr)
}

// seatsShort refuses, before any user is planned, an administrator's
// all-or-nothing change that adds a SKU to more users than its admin pool
// has seats free: the users found that do not hold the SKU would each take
// a seat, or break a rule, so the change cannot succeed either way (finding
// 5 of docs/performance.md: a refusal one seat short answers at once). It
// returns the position in b.Users of the first user left without a seat,
// in the request's order, whom planning would have refused, so the refusal
// names the same user; its Count is the seats the whole change needs.
// named holds the user each key names. Nothing is refused here while a
// user is missing, so that a bad name is still reported as such.
func seatsShort(p allot.Principal, b allot.BulkLicenseChange, named []*allot.User, pools map[string][]allot.SeatPool) (int, error) {
	if !p.Can(allot.ActionAssignLicenses) || len(b.Change.Add) == 0 {
		return 0, nil
	}
	order := make([]int, 0, len(named)) // positions of distinct users
	seen := make(map[*allot.User]bool, len(named))
	for i, u := range named {
		if u == nil {
			return 0, nil
		}
		if !seen[u] {
			seen[u] = true
			order = append(order, i)
		}
	}
	for _, a := range b.Change.Add {
		sp, ok := allot.FindPool(pools[a.SKUID], "")
		if !ok {
			continue
		}
		free, need, first := sp.Capacity-sp.Consumed, 0, -1
		for _, i := range order {
			if named[i].License(a.SKUID) == nil {
				if need++; need > free && first < 0 {
					first = i
				}
			}
		}
		if first >= 0 {
			return first, allot.SeatsError(a.SKUID, need, free)
		}
	}
	return 0, nil
}

// planBulkUser plans one user's change and books its seats; the user is
// queued for writing when something changes.
func (tx *Tx) planBulkUser(p allot.Principal, u *allot.User, pools map[string][]allot.SeatPool, b allot.BulkLicenseChange, seats *seatBook, r *allot.BulkResult, todo *[]bulkUser) error {
	ch := b.Change
	if b.SkipUnchanged {
		var todo bool
		if ch, todo = allot.SkipUnchanged(u, ch); !todo {
			return nil
		}
	}
	plan, err := allot.PlanLicenseChange(tx.db.catalog, p, u, pools, ch, tx.now)
	if err != nil {
		return err
	}
	if plan.Empty() {
		return nil
	}
	if err := seats.book(plan); err != nil {
		return err
	}
	r.Changed = true
	*todo = append(*todo, bulkUser{res: r, user: u, plan: plan})
	return nil
}

// bulkUsers reads the active users named by ids or UPNs, keyed by the lower
// case key they were asked by, locking their rows on PostgreSQL in id
// order so that concurrent bulk changes cannot deadlock.
func (tx *Tx) bulkUsers(ctx context.Context, tenantID string, keys []string) (map[string]*allot.User, error) {
	var ids, upns []string
	for _, k := range keys {
		k = strings.ToLower(strings.TrimSpace(k))
		if strings.Contains(k, "@") {
			upns = append(upns, k)
		} else {
			ids = append(ids, k)
		}
	}
	out := map[string]*allot.User{}
	for _, q := range []struct {
		byUPN bool
		keys  []string
	}{{false, ids}, {true, upns}} {
		slices.Sort(q.keys)
		q.keys = slices.Compact(q.keys)
		for start := 0; start < len(q.keys); start += bulkChunk {
			chunk := q.keys[start:min(start+bulkChunk, len(q.keys))]
			if err := tx.bulkUserChunk(ctx, tenantID, q.byUPN, chunk, out); err != nil {
				return nil, err
			}
		}
	}
	// One *allot.User per user, however many keys name it (by id and by
	// userPrincipalName): its licenses are read into it once.
	byID := make(map[string]*allot.User, len(out))
	for k, u := range out {
		if first, ok := byID[u.ID]; ok {
			out[k] = first
		} else {
			byID[u.ID] = u
		}
	}
	return out, nil
}

// bulkUserChunk reads the active users of one chunk of keys into out.
func (tx *Tx) bulkUserChunk(ctx context.Context, tenantID string, byUPN bool, keys []string, out map[string]*allot.User) error {
	args := keyArgs(tenantID, keys)
	users, err := tx.queryUsers(ctx, tx.db.bulkUserQuery(byUPN, len(keys)), args...)
	for _, u := range users {
		if byUPN {
			out[strings.ToLower(u.UserPrincipalName)] = u
		} else {
			out[u.ID] = u
		}
	}
	return err
}

// bulkUserQuery selects the active users of a tenant ($1) with n ids or
// lower-case userPrincipalNames through the index on that column (the
// primary key or users_upn). Only PostgreSQL orders them, to lock them in
// id order: SQLite has no row locks, and with an ORDER BY user_id its
// planner walks the tenant's whole primary key in id order instead of
// looking the userPrincipalNames up (a full scan per chunk).
func (db *DB) bulkUserQuery(byUPN bool, n int) string {
	col := "u.user_id"
	if byUPN {
		col = "u.upn_lower"
	}
	order := ""
	if db.d.rowLocks {
		order = ` ORDER BY u.user_id` + db.d.forUpdate
	}
	return `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND u.deleted_at IS NULL AND ` + col +
		` IN (` + db.d.placeholders(2, n) + `)` + order
}

// bulkLicenses fills the users' licenses and adds the pools of the SKUs
// they hold.
func (tx *Tx) bulkLicenses(ctx context.Context, tenantID string, users map[string]*allot.User, pools map[string][]allot.SeatPool) error {
	byID := map[string]*allot.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	if err := tx.readLicenses(ctx, tenantID, byID, slices.Collect(maps.Keys(byID))); err != nil {
		return err
	}
	return tx.heldPools(ctx, tenantID, slices.Collect(maps.Values(byID)), pools)
}

// readLicenses reads the licenses of the users of byID named by ids, in
// chunks, into them.
func (tx *Tx) readLicenses(ctx context.Context, tenantID string, byID map[string]*allot.User, ids []string) error {
	slices.Sort(ids)
	for start := 0; start < len(ids); start += bulkChunk {
		m, err := tx.licensesOf(ctx, "licenses", tenantID, ids[start:min(start+bulkChunk, len(ids))])
		if err != nil {
			return err
		}
		for id, ls := range m {
			byID[id].Licenses = ls
		}
	}
	return nil
}

// heldPools adds to pools those of the SKUs the users hold (nil: none).
func (tx *Tx) heldPools(ctx context.Context, tenantID string, users []*allot.User, pools map[string][]allot.SeatPool) error {
	held := map[string]bool{}
	for _, u := range users {
		if u == nil {
			continue
		}
		for _, l := range u.Licenses {
			if _, ok := pools[l.SKUID]; !ok {
				held[l.SKUID] = true
			}
		}
	}
	if len(held) == 0 {
		return nil
	}
	more, err := tx.findPools(ctx, tenantID, mapKeys(held))
	for k, v := range more {
		pools[k] = v
	}
	return err
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// seatBook counts, in memory, the seats a bulk change takes and frees per
// pool, starting from the locked counters.
type seatBook struct {
	pools map[[2]string]allot.SeatPool // (sku, pool) -> the pool with the seats booked so far
	delta map[[2]string]int            // (sku, pool) -> net change of consumed
}

func newSeatBook(pools map[string][]allot.SeatPool) *seatBook {
	s := &seatBook{pools: map[[2]string]allot.SeatPool{}, delta: map[[2]string]int{}}
	for sku, ps := range pools {
		for _, sp := range ps {
			s.pools[[2]string{sku, sp.SubscriptionID}] = sp
		}
	}
	return s
}

// book takes the seats of one user's plan, or refuses with CountViolation
// and books nothing.
func (s *seatBook) book(plan *allot.LicensePlan) error {
	need := map[[2]string]int{}
	for _, l := range plan.Add {
		need[[2]string{l.SKUID, l.Pool()}]++
	}
	for _, l := range plan.Remove {
		need[[2]string{l.SKUID, l.Pool()}]--
	}
	for k, n := range need {
		if sp := s.pools[k]; !sp.TakeSeats(n) {
			return allot.SeatsError(k[0], n, sp.Capacity-sp.Consumed)
		}
	}
	for k, n := range need {
		sp := s.pools[k]
		sp.Consumed += n
		s.pools[k] = sp
		s.delta[k] += n
	}
	return nil
}

// lockPools reads the seat pools of some SKUs like findPools, locking their
// rows on PostgreSQL in (SKU, pool) order.
func (tx *Tx) lockPools(ctx context.Context, tenantID string, skuIDs []string) (map[string][]allot.SeatPool, error) {
	slices.Sort(skuIDs)
	if tx.db.d.rowLocks && len(skuIDs) > 0 {
		args := keyArgs(tenantID, skuIDs)
		_, err := tx.ExecContext(ctx, `SELECT 1 FROM seat_pools WHERE tenant_id = $1 AND sku_id IN (`+tx.db.d.placeholders(2, len(skuIDs))+`) ORDER BY sku_id, pool FOR UPDATE`, args...)
		if err != nil {
			return nil, err
		}
	}
	return tx.findPools(ctx, tenantID, skuIDs)
}

// writeBulk writes the planned changes of a bulk operation: counters,
// license rows, user versions and audit events.
func (tx *Tx) writeBulk(ctx context.Context, p allot.Principal, todo []bulkUser, seats *seatBook, pr *progress) error {
	// In user id order every statement below walks the tables' and the
	// indexes' pages in order, once, instead of at random.
	slices.SortFunc(todo, func(a, b bulkUser) int { return strings.Compare(a.user.ID, b.user.ID) })
	// The users' stored data is read ahead on a reader connection while
	// the versions and licenses are written (dataPrefetch).
	ins := tx.bulkDataInputs(todo)
	pre := tx.prefetchData(ctx, p.TenantID, ins)
	defer pre.close()
	// The versions first: a change planned from the snapshot proves it
	// current for every user before anything else is written, since a
	// stale plan may break a constraint (a counter, a row that exists)
	// before the versions would show it stale (snapshot.go).
	region := trace.StartRegion(ctx, "sqlstore.bulk.versions")
	defer func() { region.End() }()
	if err := tx.bumpVersions(ctx, p.TenantID, todo); err != nil {
		return err
	}
	if err := tx.checkVersions(ctx, p.TenantID); err != nil {
		return err
	}
	keys := slices.Collect(maps.Keys(seats.delta))
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	for _, k := range keys {
		if n := seats.delta[k]; n != 0 {
			if err := tx.takeSeats(ctx, p.TenantID, k[0], k[1], n); err != nil {
				return err
			}
		}
	}
	region.End()
	region = trace.StartRegion(ctx, "sqlstore.bulk.licenses")
	pr.wrote(len(todo))
	n := 0
	for _, bu := range todo {
		n += len(bu.plan.Add) + len(bu.plan.Remove) + len(bu.plan.Update)
	}
	adds := make([]licenseRow, 0, n)
	removes := map[string][]string{} // sku -> user ids
	events := make([]auditEvent, 0, n)
	for _, bu := range todo {
		for _, l := range bu.plan.Remove {
			removes[l.SKUID] = append(removes[l.SKUID], bu.user.ID)
			events = append(events, licenseEvent(allot.AuditLicenseRemove, bu.user.ID, &l, nil))
		}
		for _, l := range bu.plan.Add {
			adds = append(adds, licenseRow{bu.user.ID, l})
			events = append(events, licenseEvent(allot.AuditLicenseAdd, bu.user.ID, nil, &l))
		}
		for _, l := range bu.plan.Update {
			if _, err := tx.ExecContext(ctx, `UPDATE licenses SET disabled_plans = $4 WHERE tenant_id = $1 AND user_id = $2 AND sku_id = $3`,
				p.TenantID, bu.user.ID, l.SKUID, strings.Join(l.DisabledPlans, ",")); err != nil {
				return err
			}
			events = append(events, licenseEvent(allot.AuditLicenseUpdate, bu.user.ID, bu.user.License(l.SKUID), &l))
		}
		bu.user.Licenses = bu.plan.After
	}
	if err := tx.deleteLicenses(ctx, p.TenantID, removes); err != nil {
		return err
	}
	if err := tx.insertLicenses(ctx, p.TenantID, adds); err != nil {
		return err
	}
	region.End()
	// The audit rows before the data rows, which need nothing of them:
	// the prefetch has that much longer to read and apply the data rules
	// ahead of the writer (it had kept the writer waiting 0.15 s of W5's
	// data step, docs/performance.md, wave 18).
	region = trace.StartRegion(ctx, "sqlstore.bulk.audit")
	if err := tx.bulkAudit(ctx, p, events); err != nil {
		return err
	}
	region.End()
	region = trace.StartRegion(ctx, "sqlstore.bulk.data")
	pr.wrote(len(todo))
	if tx.mailboxes == nil {
		tx.mailboxes = make(map[string]allot.MailboxState, len(ins)) // filled chunk after chunk (keep)
	}
	// The data rows of a few thousand users at a time, read, changed and
	// written before the next, so that the step's memory does not grow
	// with the change: W5's peak live heap fell from 323 to 303 MB, heap
	// the collector marks while the checks wait (docs/performance.md,
	// wave 12).
	for start := 0; start < len(ins); start += bulkDataChunk {
		chunk := ins[start:min(start+bulkDataChunk, len(ins))]
		if err := tx.bulkData(ctx, p.TenantID, chunk, pre); err != nil {
			return err
		}
		pr.wrote(len(chunk))
	}
	c := tx.change(p.TenantID) // after bulkData, which computes the mailboxes
	for _, bu := range todo {
		if bu.version == 0 {
			continue // not found by the update: none is, the users were read in the transaction
		}
		// A license change leaves the profile as it was; a user planned
		// from the snapshot carries none to give (snapshot.go).
		e := tx.entitlementOf(bu.user)
		e.Version = bu.version
		c.Entitlements = append(c.Entitlements, e)
	}
	pr.wrote(len(todo))
	return nil
}

type licenseRow struct {
	userID string
	l      allot.License
}

func (tx *Tx) deleteLicenses(ctx context.Context, tenantID string, removes map[string][]string) error {
	for sku, ids := range removes {
		for start := 0; start < len(ids); start += bulkChunk {
			chunk := ids[start:min(start+bulkChunk, len(ids))]
			args := []any{tenantID, sku}
			for _, id := range chunk {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM licenses WHERE tenant_id = $1 AND sku_id = $2 AND user_id IN (`+tx.db.d.placeholders(3, len(chunk))+`)`, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) insertLicenses(ctx context.Context, tenantID string, rows []licenseRow) error {
	args := make([][]any, len(rows))
	for i, r := range rows {
		args[i] = []any{tenantID, r.userID, r.l.SKUID, r.l.Pool(), strings.Join(r.l.DisabledPlans, ","), micros(r.l.AssignedAt)}
	}
	return tx.insertRows(ctx, tx.db.d.insertOrFail()+` licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at)`, 6, args)
}

// bumpVersions moves the users' versions on and sets each one's version.
// A change planned from the snapshot proves each user current as it does
// (bumpProven); one planned from SQL read the users in the transaction
// and takes their new versions from the update.
func (tx *Tx) bumpVersions(ctx context.Context, tenantID string, todo []bulkUser) error {
	if tx.proof != nil {
		return tx.bumpProven(ctx, tenantID, todo)
	}
	byID := make(map[string]*bulkUser, len(todo))
	ids := make([]string, 0, len(todo))
	for i := range todo {
		byID[todo[i].user.ID] = &todo[i]
		ids = append(ids, todo[i].user.ID)
	}
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		args := keyArgs(tenantID, chunk)
		rows, err := tx.QueryContext(ctx, tx.db.d.updateOrFail()+` user_versions SET version = version + 1 WHERE tenant_id = $1 AND user_id IN (`+tx.db.d.placeholders(2, len(chunk))+`) RETURNING user_id, version`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			tx.yield()
			var id string
			var version int64
			if err := rows.Scan(&id, &version); err != nil {
				rows.Close()
				return err
			}
			if bu := byID[id]; bu != nil {
				bu.version = version
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// bumpProven moves on the versions of the users of a change planned from
// the snapshot, each from the version it was planned from (tx.proof), and
// returns errStale if any has another. The users are grouped by that
// version, and a statement moves a chunk of a group on only where the
// version is still it: fewer rows changed than users named is the proof
// that the snapshot lagged. The users' userPrincipalNames are the
// snapshot's, which their versions prove as they prove the rest.
//
// Without RETURNING, which made SQLite keep the rows it returned and
// database/sql copy them out, one by one: 0.3–0.45 s of the 100 000
// users of W5 and W6 (docs/performance.md, wave 15).
func (tx *Tx) bumpProven(ctx context.Context, tenantID string, todo []bulkUser) error {
	byVersion := map[int64][]int{} // planned version -> positions in todo, in its order
	for i := range todo {
		v, ok := tx.proof[todo[i].user.ID]
		if !ok {
			return errStale
		}
		byVersion[v] = append(byVersion[v], i)
	}
	for _, v := range slices.Sorted(maps.Keys(byVersion)) {
		group := byVersion[v]
		for start := 0; start < len(group); start += bulkChunk {
			chunk := group[start:min(start+bulkChunk, len(group))]
			args := make([]any, 0, 2+len(chunk))
			args = append(args, tenantID, v)
			for _, i := range chunk {
				args = append(args, todo[i].user.ID)
			}
			res, err := tx.ExecContext(ctx, tx.db.d.updateOrFail()+` user_versions SET version = version + 1 WHERE tenant_id = $1 AND version = $2 AND user_id IN (`+tx.db.d.placeholders(3, len(chunk))+`)`, args...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != int64(len(chunk)) {
				return errStale
			}
		}
		for _, i := range group {
			todo[i].version = v + 1
			delete(tx.proof, todo[i].user.ID)
		}
	}
	return nil
}
