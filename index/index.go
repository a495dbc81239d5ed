// Package index keeps, in memory, what every license check needs: for each
// user of each tenant its state and its licenses with their disabled plans,
// and for each seat pool whether its licenses still grant access. Checks
// read it without SQL; committed changes reach it through Apply, called by
// the store's commit hooks (same process, before the write returns) and by
// its change listener (other processes).
//
// The index holds no pointers per user: a tenant's users are fixed-size
// entries in one slice, their UPNs and licenses runs in two more, found
// through open-addressing tables of slot numbers (tenant.go, table.go), so
// a million users cost a few slices the garbage collector does not scan.
// The answer itself is made by allot.Check, the single place where the
// rule lives.
package index

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/allot-project/allot"
)

// Index is an in-memory entitlement index. Safe for concurrent use.
type Index struct {
	catalog *allot.Catalog
	src     allot.EntitlementSource
	skus    []*allot.SKU      // position = compact SKU number
	skuNum  map[string]uint16 // skuId -> position
	seed    maphash.Seed

	poolsMu   sync.Mutex
	pools     map[string]uint32        // self-service pool id -> number
	poolNames atomic.Pointer[[]string] // number -> pool id; 0 is the admin pool, ""

	mu      sync.RWMutex
	tenants map[string]*tenant
	access  map[allot.PoolKey]bool
	checks  atomic.Int64
	loaded  atomic.Bool
	onLoad  atomic.Pointer[func()]

	missedMu sync.Mutex
	loading  int            // full loads running
	missed   []allot.Change // applied while a full load ran, to apply again after it
}

// mailboxStates numbers the mailbox states an entry keeps.
var mailboxStates = []allot.MailboxState{allot.MailboxNone, allot.MailboxActive, allot.MailboxDisconnected, allot.MailboxInactive, allot.MailboxPurged}

// mailboxUnknown marks an entry made from a change that did not read the
// mailbox state: Apply keeps the state the user's entry had.
const mailboxUnknown = 255

// mailboxNum returns the number of a mailbox state, 0 (none) for one the
// index does not know.
func mailboxNum(m allot.MailboxState) uint8 {
	return uint8(max(0, slices.Index(mailboxStates, m)))
}

// New returns an empty index over the catalog; Load fills it.
func New(c *allot.Catalog, src allot.EntitlementSource) *Index {
	ix := &Index{catalog: c, src: src, skuNum: map[string]uint16{}, pools: map[string]uint32{},
		seed: maphash.MakeSeed(), tenants: map[string]*tenant{}, access: map[allot.PoolKey]bool{}}
	ix.poolNames.Store(&[]string{""})
	for i, s := range c.SKUs {
		ix.skus = append(ix.skus, s)
		ix.skuNum[s.ID] = uint16(i)
	}
	return ix
}

// Load reads every user and pool from the source, replacing the contents.
// Changes applied while it runs are applied again once it is in place,
// since its snapshot may predate them.
func (ix *Index) Load(ctx context.Context) error {
	ix.missedMu.Lock()
	ix.loading++
	ix.missedMu.Unlock()
	err := ix.reload(ctx, "")
	ix.missedMu.Lock()
	missed := ix.missed
	if ix.loading--; ix.loading == 0 {
		ix.missed = nil
	}
	ix.missedMu.Unlock()
	if err != nil {
		return err
	}
	for _, c := range missed {
		if err := ix.Apply(ctx, c); err != nil {
			return err
		}
	}
	if fn := ix.onLoad.Load(); fn != nil {
		(*fn)()
	}
	ix.loaded.Store(true)
	return nil
}

// OnLoad sets a function each successful Load calls once the new contents
// are in place, before Loaded reports true: the server returns the load's
// garbage to the operating system there, so that the first checks the
// index answers find the memory settled.
func (ix *Index) OnLoad(fn func()) { ix.onLoad.Store(&fn) }

// Loaded reports whether a Load has succeeded: until then the index knows
// only the users of the changes applied to it.
func (ix *Index) Loaded() bool { return ix.loaded.Load() }

// reload rebuilds one tenant ("" for all) from the source.
func (ix *Index) reload(ctx context.Context, tenantID string) error {
	access, err := ix.src.FindPoolAccess(ctx, tenantID)
	if err != nil {
		return err
	}
	fresh, err := ix.scan(ctx, tenantID)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if tenantID == "" {
		ix.tenants, ix.access = fresh, access
		return nil
	}
	delete(ix.tenants, tenantID)
	if t := fresh[tenantID]; t != nil {
		ix.tenants[tenantID] = t
	}
	for k := range ix.access {
		if k.TenantID == tenantID {
			delete(ix.access, k)
		}
	}
	for k, v := range access {
		ix.access[k] = v
	}
	return nil
}

// Apply brings the index in step with a committed change. Entitlements
// carried by the change are applied as they are; users named by id are read
// back from the source. An entry only ever moves to a newer version, so
// announcements arriving out of order cannot roll a user back.
func (ix *Index) Apply(ctx context.Context, c allot.Change) error {
	ix.missedMu.Lock()
	if ix.loading > 0 {
		ix.missed = append(ix.missed, c)
	}
	ix.missedMu.Unlock()
	if c.All {
		return ix.reload(ctx, c.TenantID)
	}
	var fetched []*allot.Entitlement
	if len(c.UserIDs) > 0 {
		var err error
		if fetched, err = ix.src.FindEntitlements(ctx, c.TenantID, c.UserIDs); err != nil {
			return err
		}
	}
	var access map[allot.PoolKey]bool
	if c.Pools {
		var err error
		if access, err = ix.src.FindPoolAccess(ctx, c.TenantID); err != nil {
			return err
		}
	}
	entries := make([]staged, 0, len(c.Entitlements)+len(fetched))
	for _, e := range c.Entitlements {
		entries = append(entries, ix.stage(e))
	}
	for _, e := range fetched {
		entries = append(entries, ix.stage(e))
	}
	// A large change is applied in slices, letting checks in between, so
	// that a bulk change of 100 000 users does not stall them. Each user
	// moves from one committed state to the next; during the slices some
	// users of the change show it and others not yet.
	for start := 0; start == 0 || start < len(entries); start += applySlice {
		last := start+applySlice >= len(entries)
		ix.applySlice(c, entries[start:min(start+applySlice, len(entries))], last, fetched, access)
	}
	return nil
}

// applySlice is how many users Apply changes per hold of the lock.
const applySlice = 4096

func (ix *Index) applySlice(c allot.Change, entries []staged, last bool, fetched []*allot.Entitlement, access map[allot.PoolKey]bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := ix.tenants[c.TenantID]
	if t == nil {
		t = newTenant(c.TenantID)
		ix.tenants[c.TenantID] = t
	}
	for i := range entries {
		st := &entries[i]
		s, ok := t.slotOf(ix.seed, st.id)
		switch {
		case !ok:
			if st.mailbox == mailboxUnknown {
				st.mailbox = 0
			}
			t.add(ix.seed, st)
		case t.users[s].version <= st.version:
			t.replace(ix.seed, s, st)
		}
	}
	if last {
		ix.forgetPurged(t, c.UserIDs, fetched)
		for k, v := range access {
			ix.access[k] = v
		}
	}
	t.compact()
}

// forgetPurged drops the users that were asked for but no longer exist.
func (ix *Index) forgetPurged(t *tenant, asked []string, found []*allot.Entitlement) {
	if len(asked) == len(found) {
		return
	}
	seen := map[string]bool{}
	for _, e := range found {
		seen[e.UserID] = true
	}
	for _, id := range asked {
		if k, ok := allot.ParseGUID(id); ok && !seen[id] {
			if s, ok := t.slotOf(ix.seed, k); ok {
				t.remove(ix.seed, s)
			}
		}
	}
}

// stage turns an entitlement into a staged entry. SKUs missing from the
// catalog are dropped: they grant nothing.
func (ix *Index) stage(e *allot.Entitlement) staged {
	id, _ := allot.ParseGUID(e.UserID)
	st := staged{entry: entry{id: id, version: e.Version, mailbox: mailboxUnknown}, upn: strings.ToLower(e.UserPrincipalName)}
	st.prof = stageProfile(e, st.upn)
	st.flags = userFlags(e.AccountEnabled, e.Deleted)
	st.loc = st.locate([]byte(e.UsageLocation))
	if e.MailboxKnown {
		st.mailbox = mailboxNum(e.Mailbox)
	}
	for _, l := range e.Licenses {
		n, ok := ix.skuNum[l.SKUID]
		if !ok {
			st.flags |= flagInexact
			continue
		}
		c := lic{sku: n, pool: ix.intern(l.SubscriptionID)}
		for i, p := range ix.skus[n].Plans {
			if slices.Contains(l.DisabledPlans, p.ID) {
				c.disabled |= 1 << i
			}
		}
		st.lics = append(st.lics, c)
	}
	return st
}

// userFlags packs a user's account state.
func userFlags(enabled, deleted bool) uint8 {
	var f uint8
	if enabled {
		f |= flagEnabled
	}
	if deleted {
		f |= flagDeleted
	}
	return f
}

// intern returns the number of a self-service pool id; 0 for the admin
// pool. Numbers are only ever added, so readers load poolNames without a
// lock: an appended name lies beyond every length they have seen.
func (ix *Index) intern(pool string) uint32 {
	if pool == "" {
		return 0
	}
	ix.poolsMu.Lock()
	defer ix.poolsMu.Unlock()
	if n, ok := ix.pools[pool]; ok {
		return n
	}
	names := append(*ix.poolNames.Load(), pool)
	n := uint32(len(names) - 1)
	ix.pools[pool] = n
	ix.poolNames.Store(&names)
	return n
}

// Users returns the number of users indexed, deleted ones included.
func (ix *Index) Users() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, t := range ix.tenants {
		n += t.count()
	}
	return n
}

// Checks returns the number of checks answered since start.
func (ix *Index) Checks() int64 { return ix.checks.Load() }
