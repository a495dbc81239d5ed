package index

import (
	"context"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

// FindUserLicenses is allot.UserReadService's FindUserLicenses answered
// from memory: the licenseDetails of a user, authorized as the store
// authorizes them (allot.AuthorizeNamed) and not found as the store finds
// them (deleted users are not found; a UPN names an active user only).
// The index holds no SKU outside the catalog (stage drops them), nor the
// licenses' assignment dates (AssignedAt is left zero). Its answer is as fresh as the changes
// applied to it: the caller decides whether that suffices
// (cmd/internal/server).
func (ix *Index) FindUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, err
	}
	key := strings.TrimSpace(idOrUPN)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t := ix.tenants[p.TenantID]
	en := t.find(ix, key)
	if en == nil || en.flags&flagDeleted != 0 {
		return nil, allot.UserNotFound(idOrUPN)
	}
	u := &allot.User{ID: en.id.String(), TenantID: t.id}
	ls := t.licsOf(en)
	if len(ls) > 0 {
		u.Licenses = make([]allot.License, len(ls))
	}
	pools := *ix.poolNames.Load()
	for i, l := range ls {
		u.Licenses[i] = ix.license(l, pools)
	}
	allot.SortLicenses(u.Licenses)
	return u, nil
}

// license is l as the store reads it: its disabled plans sorted, an empty
// list rather than none, and no assignment date (the index holds none).
func (ix *Index) license(l lic, pools []string) allot.License {
	sku := ix.skus[l.sku]
	al := allot.License{SKUID: sku.ID, SubscriptionID: pools[l.pool], DisabledPlans: []string{}}
	for j, pl := range sku.Plans {
		if l.disabled&(1<<j) != 0 {
			al.DisabledPlans = append(al.DisabledPlans, pl.ID)
		}
	}
	slices.Sort(al.DisabledPlans) // allot.License keeps them sorted
	return al
}

// BulkEntitlements returns the entitlements, versions and usage locations
// included, of the users not deleted that keys name (ids or
// userPrincipalNames in any case, as a bulk change names them), the i-th
// the user keys[i] names, one *allot.Entitlement a user however many keys
// name it; false when the index is not loaded, lacks any of them (it
// cannot prove a user absent), holds one inexactly (flagInexact) or
// without its profile, whose userPrincipalName it gives in its case (from
// the profile). Licenses are in SKU order, as FindUserLicenses gives
// them. The answer is as fresh as the changes applied so far: a caller
// that plans a write from it must prove each user current by its version
// in the write (sqlstore's Snapshot).
func (ix *Index) BulkEntitlements(tenantID string, keys []string) ([]*allot.Entitlement, bool) {
	if !ix.Loaded() {
		return nil, false
	}
	out := make([]*allot.Entitlement, len(keys))
	bySlot := make(map[uint32]*allot.Entitlement, len(keys))
	for start := 0; start < len(keys); start += applySlice {
		end := min(start+applySlice, len(keys))
		if !ix.bulkSlice(tenantID, keys[start:end], out[start:end], bySlot) {
			return nil, false
		}
	}
	return out, true
}

// bulkSlice is BulkEntitlements for a slice of the keys, under one hold of
// the read lock: a writer waiting for the lock, and the checks queued
// behind it, wait for a slice as they do for Apply's, not for 100,000
// users. Each user is copied as of one committed state; users of
// different slices may be of different moments, which the caller's proof
// by version allows.
func (ix *Index) bulkSlice(tenantID string, keys []string, out []*allot.Entitlement, bySlot map[uint32]*allot.Entitlement) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t := ix.tenants[tenantID]
	pools := *ix.poolNames.Load()
	for i, k := range keys {
		s, ok := t.slotNamed(ix, strings.TrimSpace(k))
		if !ok || t.users[s].flags&(flagDeleted|flagInexact) != 0 {
			return false
		}
		if e := bySlot[s]; e != nil {
			out[i] = e
			continue
		}
		en := &t.users[s]
		rec := t.profile(s)
		if rec == nil {
			return false
		}
		e := &allot.Entitlement{TenantID: t.id, UserID: en.id.String(), UserPrincipalName: string(recordUPN(rec, t.upn(en))),
			AccountEnabled: en.flags&flagEnabled != 0, UsageLocation: en.location(), Version: en.version}
		if ls := t.licsOf(en); len(ls) > 0 {
			e.Licenses = make([]allot.License, len(ls))
			for i, l := range ls {
				e.Licenses[i] = ix.license(l, pools)
			}
			allot.SortLicenses(e.Licenses)
		}
		out[i], bySlot[s] = e, e
	}
	return true
}

// UserRow returns the storage's hint of where the row of the user, not
// deleted, named by id or userPrincipalName in the tenant lies
// (allot.UserRow.Row, as the last full load read it; changes keep a
// user's hint), or 0 when the index knows none: an unknown or deleted
// user, one added since the load, a load without table scans. A hint
// only: the store's read by it checks the user's key (sqlstore's
// ReadUserAt).
func (ix *Index) UserRow(tenantID, idOrUPN string) int64 {
	key := strings.TrimSpace(idOrUPN)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t := ix.tenants[tenantID]
	s, ok := t.slotNamed(ix, key)
	if !ok || t.users[s].flags&flagDeleted != 0 {
		return 0
	}
	return t.row(s)
}
