package index

import (
	"context"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.CheckService = (*Index)(nil)

// Check implements allot.CheckService from memory alone.
func (ix *Index) Check(ctx context.Context, p allot.Principal, reqs []allot.CheckRequest) ([]allot.CheckResult, error) {
	if err := allot.Authorize(p, allot.ActionCheck); err != nil {
		return nil, err
	}
	if err := allot.ValidateChecks(reqs); err != nil {
		return nil, err
	}
	out := make([]allot.CheckResult, len(reqs))
	ix.mu.RLock()
	t := ix.tenants[p.TenantID]
	for i, r := range reqs {
		out[i] = ix.checkOne(t, r)
	}
	ix.mu.RUnlock()
	ix.checks.Add(int64(len(reqs)))
	return out, nil
}

// checkOne answers one request; the caller holds the read lock.
func (ix *Index) checkOne(t *tenant, r allot.CheckRequest) allot.CheckResult {
	plan := ix.catalog.ServicePlan(strings.TrimSpace(r.ServicePlan))
	var e *allot.Entitlement
	var ent allot.Entitlement
	var buf [4]allot.License
	if en := t.find(ix, strings.TrimSpace(r.User)); en != nil {
		ix.expand(t, en, &ent, buf[:0], false) // allot.Check never reads the UPN
		e = &ent
	}
	res := allot.Check(ix.catalog, e, plan, ix.hasAccess)
	res.User = r.User
	return res
}

// hasAccess is the allot.PoolAccess of the index; the caller holds the
// read lock.
func (ix *Index) hasAccess(tenantID, skuID, pool string) bool {
	return ix.access[allot.PoolKey{TenantID: tenantID, SKUID: skuID, Pool: pool}]
}

// find returns the user with the id or userPrincipalName, or nil. The
// entry lies in t's slice: it is valid while the caller holds the lock.
func (t *tenant) find(ix *Index, key string) *entry {
	if s, ok := t.slotNamed(ix, key); ok {
		return &t.users[s]
	}
	return nil
}

// slotNamed returns the slot of the user that find finds.
func (t *tenant) slotNamed(ix *Index, key string) (uint32, bool) {
	if t == nil {
		return 0, false
	}
	if strings.Contains(key, "@") {
		return t.slotOfUPN(ix.seed, strings.ToLower(key))
	}
	id, ok := allot.ParseGUID(key)
	if !ok {
		return 0, false
	}
	return t.slotOf(ix.seed, id)
}

// materialize expands an entry of the tenant into the allot.Entitlement
// that allot.Check reads, using buf for the licenses so a check allocates
// little. The caller holds the read lock.
func (ix *Index) materialize(tenantID string, en *entry, e *allot.Entitlement, buf []allot.License) {
	ix.expand(ix.tenants[tenantID], en, e, buf, true)
}

// expand is materialize for a tenant at hand, with the UPN or without.
func (ix *Index) expand(t *tenant, en *entry, e *allot.Entitlement, buf []allot.License, upn bool) {
	e.TenantID, e.UserID = t.id, en.id.String()
	if upn {
		e.UserPrincipalName = string(t.upn(en))
	}
	e.AccountEnabled, e.Deleted, e.Version = en.flags&flagEnabled != 0, en.flags&flagDeleted != 0, en.version
	if int(en.mailbox) < len(mailboxStates) {
		e.Mailbox, e.MailboxKnown = mailboxStates[en.mailbox], true
	}
	pools := *ix.poolNames.Load()
	for _, l := range t.licsOf(en) {
		sku := ix.skus[l.sku]
		al := allot.License{SKUID: sku.ID, SubscriptionID: pools[l.pool]}
		for i, p := range sku.Plans {
			if l.disabled&(1<<i) != 0 {
				al.DisabledPlans = append(al.DisabledPlans, p.ID)
			}
		}
		buf = append(buf, al)
	}
	e.Licenses = buf
}
