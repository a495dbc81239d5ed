package index

import (
	"bytes"
	"context"
	"strings"

	"github.com/allot-project/allot"
)

// scan reads the users of one tenant ("" for all) into fresh tenants,
// through the source's table scans if it offers them.
func (ix *Index) scan(ctx context.Context, tenantID string) (map[string]*tenant, error) {
	b := &builder{ix: ix, tenants: map[string]*tenant{}, pending: map[*tenant][]slotLic{}}
	if src, ok := ix.src.(allot.EntitlementTables); ok {
		if err := src.ScanEntitlementTables(ctx, tenantID, b.user, b.version, b.mailbox, b.license); err != nil {
			return nil, err
		}
	} else if err := ix.src.ScanEntitlements(ctx, tenantID, b.entitlement); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

// builder fills fresh tenants from a load's rows.
type builder struct {
	ix      *Index
	tenants map[string]*tenant
	last    *tenant
	indexed bool                  // the users are in the lookup tables
	pending map[*tenant][]slotLic // licenses read, before they are grouped by user
}

// slotLic is one license of the user in a slot.
type slotLic struct {
	slot uint32
	lic  lic
}

// tenant returns the fresh tenant with the id, made on first use.
func (b *builder) tenant(id string) *tenant {
	if b.last != nil && b.last.id == id {
		return b.last
	}
	t := b.tenants[id]
	if t == nil {
		t = newTenant(id)
		b.tenants[id] = t
	}
	b.last = t
	return t
}

// entitlement adds one user read by ScanEntitlements.
func (b *builder) entitlement(e *allot.Entitlement) error {
	t := b.tenant(e.TenantID)
	st := b.ix.stage(e)
	if st.mailbox == mailboxUnknown {
		st.mailbox = 0
	}
	t.users = append(t.users, st.entry)
	en := &t.users[len(t.users)-1]
	en.upnOff, en.upnLen = uint32(len(t.upns)), uint16(len(st.upn))
	t.upns = append(t.upns, st.upn...)
	en.licOff, en.licLen = uint32(len(t.lics)), uint16(len(st.lics))
	t.lics = append(t.lics, st.lics...)
	t.setProfile(uint32(len(t.users)-1), st.prof)
	return nil
}

// user adds one user row.
func (b *builder) user(r *allot.UserRow) error {
	t := b.tenant(r.TenantID)
	t.users = append(t.users, entry{id: r.UserID, flags: userFlags(r.AccountEnabled, r.Deleted),
		upnOff: uint32(len(t.upns)), upnLen: uint16(len(r.UPNLower))})
	en := &t.users[len(t.users)-1]
	en.loc = en.locate(r.UsageLocation)
	t.rows = append(t.rows, r.Row)
	t.upns = append(t.upns, r.UPNLower...)
	if r.Deleted { // not read until restored, which carries the profile
		t.profAt = append(t.profAt, 0)
		return nil
	}
	last := t.profBlock(profileLen(r.UPN, r.UPNLower, r.DisplayName, r.GivenName, r.Surname, r.JobTitle))
	t.profAt = append(t.profAt, t.profEnd())
	t.profs[last] = appendProfile(t.profs[last], r.UPN, r.UPNLower, r.DisplayName, r.GivenName, r.Surname, r.JobTitle, r.CreatedAt)
	return nil
}

// version sets one user's version.
func (b *builder) version(r *allot.VersionRow) error {
	b.index()
	t := b.tenant(r.TenantID)
	if s, ok := t.slotOf(b.ix.seed, r.UserID); ok {
		t.users[s].version = r.Version
	}
	return nil
}

// mailbox sets one user's mailbox state.
func (b *builder) mailbox(r *allot.MailboxRow) error {
	b.index()
	t := b.tenant(r.TenantID)
	if s, ok := t.slotOf(b.ix.seed, r.UserID); ok {
		t.users[s].mailbox = mailboxNum(allot.MailboxState(r.Mailbox))
	}
	return nil
}

// license notes one license row; finish groups them by user.
func (b *builder) license(r *allot.LicenseRow) error {
	b.index()
	t := b.tenant(r.TenantID)
	s, ok := t.slotOf(b.ix.seed, r.UserID)
	if !ok {
		return nil
	}
	n, ok := b.ix.skuNum[string(r.SKUID)]
	if !ok {
		t.users[s].flags |= flagInexact
		return nil
	}
	l := lic{sku: n, pool: b.ix.internBytes(r.Pool)}
	for i, p := range b.ix.skus[n].Plans {
		if hasPlan(r.DisabledPlans, p.ID) {
			l.disabled |= 1 << i
		}
	}
	b.pending[t] = append(b.pending[t], slotLic{slot: s, lic: l})
	return nil
}

// hasPlan reports whether the comma-separated list holds the plan id.
func hasPlan(list []byte, id string) bool {
	for len(list) > 0 {
		item, rest, _ := bytes.Cut(list, []byte{','})
		if string(item) == id {
			return true
		}
		list = rest
	}
	return false
}

// index enters every user read so far into its tenant's lookup tables,
// once.
func (b *builder) index() {
	if b.indexed {
		return
	}
	b.indexed = true
	for _, t := range b.tenants {
		t.byID, t.byUPN = newTable(len(t.users)), newTable(len(t.users))
		for s := range t.users {
			t.index(b.ix.seed, uint32(s))
		}
	}
}

// finish groups the pending licenses by user, in a counting sort, and
// returns the tenants.
func (b *builder) finish() map[string]*tenant {
	b.index()
	for t, pending := range b.pending {
		for _, p := range pending {
			t.users[p.slot].licLen++
		}
		n := uint32(0)
		for i := range t.users {
			e := &t.users[i]
			e.licOff, n, e.licLen = n, n+uint32(e.licLen), 0
		}
		t.lics = make([]lic, n)
		for _, p := range pending {
			e := &t.users[p.slot]
			t.lics[e.licOff+uint32(e.licLen)] = p.lic
			e.licLen++
		}
	}
	for _, t := range b.tenants {
		t.users, t.rows, t.upns, t.lics = trim(t.users), trim(t.rows), trim(t.upns), trim(t.lics)
		t.profAt = trim(t.profAt)
		if n := len(t.profs); n > 0 {
			t.profs[n-1] = trim(t.profs[n-1])
		}
	}
	return b.tenants
}

// trim returns s in a slice of its own length if appending left much room.
func trim[S ~[]E, E any](s S) S {
	if cap(s) <= len(s)+len(s)/8 {
		return s
	}
	return append(S(nil), s...)
}

// internBytes is intern for a pool id read into a reused buffer.
func (ix *Index) internBytes(pool []byte) uint32 {
	if len(pool) == 0 {
		return 0
	}
	ix.poolsMu.Lock()
	n, ok := ix.pools[string(pool)]
	ix.poolsMu.Unlock()
	if ok {
		return n
	}
	return ix.intern(strings.Clone(string(pool)))
}
