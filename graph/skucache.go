package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/allot-project/allot"
)

// This file renders subscribedSkus from bytes (W7, the Licenses view): the
// static part of each SKU's JSON (its plans, id and part number) is built
// once per catalog SKU, a request appends only the counters, and with a
// SKUCache each tenant's rendered list is kept until a commit of the
// tenant forgets it. The output is byte for byte what rendering through
// entityType's maps gives (skucache_test.go).

// SKUCache keeps each tenant's subscribedSkus, rendered, between the
// commits that change them. Forget must see every committed change: the
// store's commit hook and its change listener (cmd/internal/server). A
// change another process committed is seen once its notification
// arrives, as for the license-check index. Safe for concurrent use.
type SKUCache struct {
	mu      sync.RWMutex
	tenants map[string]*tenantSKUs
	gens    map[string]uint64 // per tenant, bumped by each of its changes
	allGen  uint64            // bumped by a change of every tenant
}

// tenantSKUs is one tenant's cached subscribedSkus.
type tenantSKUs struct {
	tenant *allot.Tenant
	skus   []*allot.SubscribedSKU
	value  []byte // the "value" array of the default selection
}

// NewSKUCache returns an empty cache.
func NewSKUCache() *SKUCache {
	return &SKUCache{tenants: map[string]*tenantSKUs{}, gens: map[string]uint64{}}
}

// Forget drops what c may have changed: its tenant's list, or every
// tenant's when c names none.
func (c *SKUCache) Forget(ch allot.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.TenantID == "" {
		c.allGen++
		clear(c.tenants)
		return
	}
	c.gens[ch.TenantID]++
	delete(c.tenants, ch.TenantID)
}

// skuGen is the state of the cache a load started from.
type skuGen struct{ all, tenant uint64 }

// lookup returns the tenant's cached list (nil when there is none) and the
// generation a load must store with.
func (c *SKUCache) lookup(tenantID string) (*tenantSKUs, skuGen) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tenants[tenantID], skuGen{c.allGen, c.gens[tenantID]}
}

// store keeps e unless a change of the tenant was forgotten since gen: the
// list was then read before that commit, or may have been.
func (c *SKUCache) store(tenantID string, e *tenantSKUs, gen skuGen) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if (skuGen{c.allGen, c.gens[tenantID]}) == gen {
		c.tenants[tenantID] = e
	}
}

// tenantSKUs returns the principal's tenant and its subscribedSkus, from
// the cache when there is one and it holds them.
func (s *Server) tenantSKUs(r *http.Request, p allot.Principal) (*tenantSKUs, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err // as FindSubscribedSKUs, before any cache
	}
	var gen skuGen
	if s.skuCache != nil {
		var e *tenantSKUs
		if e, gen = s.skuCache.lookup(p.TenantID); e != nil {
			return e, nil
		}
	}
	skus, err := s.svc.Subscriptions.FindSubscribedSKUs(r.Context(), p)
	if err != nil {
		return nil, err
	}
	tenant, err := s.svc.Tenants.FindTenantByID(r.Context(), p.TenantID)
	if err != nil {
		return nil, err
	}
	e := &tenantSKUs{tenant: tenant, skus: skus}
	e.value = s.skuJSON.appendValue(make([]byte, 0, s.skuJSON.size(skus)), e)
	if s.skuCache != nil {
		s.skuCache.store(p.TenantID, e, gen)
	}
	return e, nil
}

// skuStatic holds the static JSON of each catalog SKU, built at first use.
type skuStatic struct{ m sync.Map } // *allot.SKU → []byte

// static returns sku's members that depend on the catalog only:
// `"servicePlans":[…],"skuId":"…","skuPartNumber":"…"`.
func (st *skuStatic) static(sku *allot.SKU) []byte {
	if b, ok := st.m.Load(sku); ok {
		return b.([]byte)
	}
	obj := marshalCompact(map[string]any{"servicePlans": servicePlans(sku, nil), "skuId": sku.ID, "skuPartNumber": sku.PartNumber})
	b := obj[1 : len(obj)-1] // the members, without the braces
	st.m.Store(sku, b)
	return b
}

// size estimates the length of skus rendered, so that the buffer they
// are rendered in is allocated once.
func (st *skuStatic) size(skus []*allot.SubscribedSKU) int {
	n := 2
	for _, v := range skus {
		n += len(st.static(v.SKU)) + 400 + 40*len(v.SubscriptionIDs)
	}
	return n
}

// appendValue appends e's subscribedSkus as the JSON array that rendering
// them with every default property gives.
func (st *skuStatic) appendValue(dst []byte, e *tenantSKUs) []byte {
	dst = append(dst, '[')
	for i, v := range e.skus {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = st.appendSKU(dst, v, e.tenant)
	}
	return append(dst, ']')
}

// appendSKU appends one subscribedSku: its members in the sorted order
// that encoding a map gives.
func (st *skuStatic) appendSKU(dst []byte, v *allot.SubscribedSKU, tenant *allot.Tenant) []byte {
	dst = append(dst, `{"accountId":`...)
	dst = appendJSONString(dst, v.TenantID)
	dst = append(dst, `,"accountName":`...)
	dst = appendJSONString(dst, tenant.Name)
	dst = append(dst, `,"appliesTo":`...)
	dst = appendJSONString(dst, v.SKU.AppliesTo)
	dst = append(dst, `,"capabilityStatus":`...)
	dst = appendJSONString(dst, string(v.CapabilityStatus))
	dst = append(dst, `,"consumedUnits":`...)
	dst = strconv.AppendInt(dst, int64(v.Consumed), 10)
	dst = append(dst, `,"id":`...)
	dst = appendJSONString(dst, v.TenantID+"_"+v.SKU.ID)
	u := v.Prepaid
	dst = append(dst, `,"prepaidUnits":{"enabled":`...)
	dst = strconv.AppendInt(dst, int64(u.Enabled), 10)
	dst = strconv.AppendInt(append(dst, `,"lockedOut":`...), int64(u.LockedOut), 10)
	dst = strconv.AppendInt(append(dst, `,"suspended":`...), int64(u.Suspended), 10)
	dst = strconv.AppendInt(append(dst, `,"warning":`...), int64(u.Warning), 10)
	capacity, consumed := v.SelfServiceSeats()
	dst = strconv.AppendInt(append(dst, `},"selfServiceUnits":{"consumed":`...), int64(consumed), 10)
	dst = strconv.AppendInt(append(dst, `,"enabled":`...), int64(capacity), 10)
	dst = append(dst, '}')
	dst = append(append(dst, ','), st.static(v.SKU)...)
	dst = append(dst, `,"subscriptionIds":[`...)
	for i, id := range v.SubscriptionIDs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, id)
	}
	return append(dst, "]}"...)
}

// appendJSONString appends s as writeJSON's encoder writes it (HTML
// characters not escaped): printable ASCII directly, anything else through
// encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			b := marshalCompact(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// marshalCompact encodes v as writeJSON does, without the final newline.
func marshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("graph: cannot encode " + err.Error()) // strings, ints and plain structs only
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeSKUCollection answers the default selection of subscribedSkus from
// value, the rendered array, as writeCollection would.
func writeSKUCollection(w http.ResponseWriter, r *http.Request, value []byte) error {
	ctx := contextURL(r, "subscribedSkus")
	head := append(make([]byte, 0, len(ctx)+32), `{"@odata.context":`...)
	head = appendJSONString(head, ctx)
	head = append(head, `,"value":`...)
	tail := []byte("}\n")
	// With its length known, the answer goes out in one piece rather than
	// in chunks (net/http chunks a body of unknown length over 2 kB).
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+len(value)+len(tail)))
	writeJSONHeader(w, http.StatusOK)
	for _, b := range [][]byte{head, value, tail} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
