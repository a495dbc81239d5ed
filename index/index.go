// Package index keeps, in memory, what every license check needs: for each
// user of each tenant its state and its licenses with their disabled plans,
// and for each seat pool whether its licenses still grant access. Checks
// read it without SQL; committed changes reach it through Apply, called by
// the store's commit hooks (same process, before the write returns) and by
// its change listener (other processes).
//
// Entries are compact (a user costs about 200 bytes: see docs/performance.md)
// and the answer itself is made by allot.Check, the single place where the
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

	poolsMu sync.Mutex
	pools   map[string]*string // interned self-service pool ids

	mu      sync.RWMutex
	tenants map[string]*tenant
	access  map[allot.PoolKey]bool
	checks  atomic.Int64
}

type tenant struct {
	id    string
	byID  map[allot.GUID]*entry
	byUPN map[uint64]*entry // maphash of the lower-case UPN; collisions resolved by comparing
}

// entry is one user. Flags pack the account state.
type entry struct {
	id      allot.GUID
	upn     string // lower case
	version int64
	flags   uint8
	mailbox uint8 // the mailbox state's number in mailboxStates; mailboxUnknown until a change says
	lics    []lic
}

// mailboxStates numbers the mailbox states an entry keeps.
var mailboxStates = []allot.MailboxState{allot.MailboxNone, allot.MailboxActive, allot.MailboxDisconnected, allot.MailboxInactive, allot.MailboxPurged}

// mailboxUnknown marks an entry made from a change that did not read the
// mailbox state: Apply keeps the state the user's entry had.
const mailboxUnknown = 255

const (
	flagEnabled = 1 << iota
	flagDeleted
)

// lic is one license: the SKU by number, the plans disabled as a bit set
// over the SKU's plans, and the pool (nil for the admin pool).
type lic struct {
	sku      uint16
	disabled uint64
	pool     *string
}

// New returns an empty index over the catalog; Load fills it.
func New(c *allot.Catalog, src allot.EntitlementSource) *Index {
	ix := &Index{catalog: c, src: src, skuNum: map[string]uint16{}, pools: map[string]*string{},
		seed: maphash.MakeSeed(), tenants: map[string]*tenant{}, access: map[allot.PoolKey]bool{}}
	for i, s := range c.SKUs {
		ix.skus = append(ix.skus, s)
		ix.skuNum[s.ID] = uint16(i)
	}
	return ix
}

// Load reads every user and pool from the source, replacing the contents.
func (ix *Index) Load(ctx context.Context) error {
	return ix.reload(ctx, "")
}

// reload rebuilds one tenant ("" for all) from the source.
func (ix *Index) reload(ctx context.Context, tenantID string) error {
	access, err := ix.src.FindPoolAccess(ctx, tenantID)
	if err != nil {
		return err
	}
	fresh := map[string]*tenant{}
	err = ix.src.ScanEntitlements(ctx, tenantID, func(e *allot.Entitlement) error {
		t := fresh[e.TenantID]
		if t == nil {
			t = &tenant{id: e.TenantID, byID: map[allot.GUID]*entry{}, byUPN: map[uint64]*entry{}}
			fresh[e.TenantID] = t
		}
		ix.put(t, ix.compact(e))
		return nil
	})
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
	entries := make([]*entry, 0, len(c.Entitlements)+len(fetched))
	for _, e := range c.Entitlements {
		entries = append(entries, ix.compact(e))
	}
	for _, e := range fetched {
		entries = append(entries, ix.compact(e))
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

func (ix *Index) applySlice(c allot.Change, entries []*entry, last bool, fetched []*allot.Entitlement, access map[allot.PoolKey]bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	t := ix.tenants[c.TenantID]
	if t == nil {
		t = &tenant{id: c.TenantID, byID: map[allot.GUID]*entry{}, byUPN: map[uint64]*entry{}}
		ix.tenants[c.TenantID] = t
	}
	for _, e := range entries {
		if old := t.byID[e.id]; old == nil || old.version <= e.version {
			if e.mailbox == mailboxUnknown && old != nil {
				e.mailbox = old.mailbox
			}
			ix.remove(t, old)
			ix.put(t, e)
		}
	}
	if !last {
		return
	}
	ix.forgetPurged(t, c.UserIDs, fetched)
	for k, v := range access {
		ix.access[k] = v
	}
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
			ix.remove(t, t.byID[k])
		}
	}
}

func (ix *Index) put(t *tenant, e *entry) {
	t.byID[e.id] = e
	if e.flags&flagDeleted == 0 {
		t.byUPN[ix.hash(e.upn)] = e
	}
}

func (ix *Index) remove(t *tenant, e *entry) {
	if e == nil {
		return
	}
	delete(t.byID, e.id)
	if h := ix.hash(e.upn); t.byUPN[h] == e {
		delete(t.byUPN, h)
	}
}

func (ix *Index) hash(upn string) uint64 { return maphash.String(ix.seed, upn) }

// compact turns an entitlement into an entry. SKUs missing from the catalog
// are dropped: they grant nothing.
func (ix *Index) compact(e *allot.Entitlement) *entry {
	id, _ := allot.ParseGUID(e.UserID)
	en := &entry{id: id, upn: strings.ToLower(e.UserPrincipalName), version: e.Version}
	if e.AccountEnabled {
		en.flags |= flagEnabled
	}
	if e.Deleted {
		en.flags |= flagDeleted
	}
	en.mailbox = mailboxUnknown
	if e.MailboxKnown {
		en.mailbox = uint8(max(0, slices.Index(mailboxStates, e.Mailbox)))
	}
	for _, l := range e.Licenses {
		n, ok := ix.skuNum[l.SKUID]
		if !ok {
			continue
		}
		sku := ix.skus[n]
		c := lic{sku: n, pool: ix.intern(l.SubscriptionID)}
		for i, p := range sku.Plans {
			for _, d := range l.DisabledPlans {
				if d == p.ID {
					c.disabled |= 1 << i
				}
			}
		}
		en.lics = append(en.lics, c)
	}
	return en
}

// intern returns one shared pointer per self-service pool id; nil for the
// admin pool.
func (ix *Index) intern(pool string) *string {
	if pool == "" {
		return nil
	}
	ix.poolsMu.Lock()
	defer ix.poolsMu.Unlock()
	if p, ok := ix.pools[pool]; ok {
		return p
	}
	p := &pool
	ix.pools[pool] = p
	return p
}

// Users returns the number of users indexed, deleted ones included.
func (ix *Index) Users() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, t := range ix.tenants {
		n += len(t.byID)
	}
	return n
}

// Checks returns the number of checks answered since start.
func (ix *Index) Checks() int64 { return ix.checks.Load() }
