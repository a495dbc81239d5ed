package graph

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// genericSKUs renders skus through entityType's maps, as every other
// collection is rendered: the reference the bytes must equal.
func genericSKUs(t testing.TB, links *linkBase, tenant *allot.Tenant, skus []*allot.SubscribedSKU, query string) []byte {
	t.Helper()
	r := httptest.NewRequest("GET", "http://allot.test/v1.0/subscribedSkus"+query, nil)
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, &requestInfo{links: links}))
	sel, err := parseSelect(r, subscribedSKUType)
	if err != nil {
		t.Fatal(err)
	}
	views := make([]subscribedSKU, len(skus))
	for i, s := range skus {
		views[i] = subscribedSKU{s, tenant}
	}
	w := httptest.NewRecorder()
	if err := sel.writeCollection(w, r, "subscribedSkus", views); err != nil {
		t.Fatal(err)
	}
	return w.Body.Bytes()
}

// TestSKUBytesEqualMaps checks that subscribedSkus rendered from bytes are
// byte for byte those rendered through maps, strings that JSON escapes
// included.
func TestSKUBytesEqualMaps(t *testing.T) {
	cat := allot.DemoCatalog()
	e3 := cat.SKU(skuE3)
	odd := &allot.SKU{ID: "0a0b0c0d-0000-4000-8000-000000000001", PartNumber: `P<&>"\x`, AppliesTo: "Company",
		Plans: []*allot.ServicePlan{{ID: "0a0b0c0d-0000-4000-8000-000000000002", Name: "é\u2028\t<plan>"}}}
	full := &allot.SubscribedSKU{TenantID: "t1", SKU: e3, CapabilityStatus: "Warning", Consumed: 1234567,
		Prepaid: allot.LicenseUnits{Enabled: 10, Suspended: 2, Warning: 300, LockedOut: 4}, SubscriptionIDs: []string{"s1", "s2"},
		Pools: []allot.SeatPool{{Capacity: 9, Consumed: 9}, {SubscriptionID: "s2", Capacity: 5, Consumed: 3}}}
	tests := []struct {
		name   string
		tenant *allot.Tenant
		skus   []*allot.SubscribedSKU
	}{
		{"none", &allot.Tenant{Name: "Contoso"}, nil},
		{"zero counters, no subscriptions", &allot.Tenant{Name: "Contoso"}, []*allot.SubscribedSKU{{TenantID: "t1", SKU: e3}}},
		{"every counter and two subscriptions", &allot.Tenant{Name: "Contoso"}, []*allot.SubscribedSKU{full}},
		{"strings JSON escapes", &allot.Tenant{Name: "A&B <\"Ltd\"> \\ é\u2029\x01"},
			[]*allot.SubscribedSKU{{TenantID: "t<1>", SKU: odd, CapabilityStatus: "Enabled", SubscriptionIDs: []string{"\"q\""}}, full}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st skuStatic
			r := httptest.NewRequest("GET", "http://allot.test/v1.0/subscribedSkus", nil)
			w := httptest.NewRecorder()
			e := &tenantSKUs{tenant: tt.tenant, skus: tt.skus}
			if err := writeSKUCollection(w, r, st.appendValue(nil, e)); err != nil {
				t.Fatal(err)
			}
			if want, got := string(genericSKUs(t, nil, tt.tenant, tt.skus, "")), w.Body.String(); want != got {
				t.Errorf("body -want +got\n-%s\n+%s", want, got)
			}
			if want, got := "application/json", w.Header().Get("Content-Type"); want != got {
				t.Errorf("Content-Type -want +got\n-%s\n+%s", want, got)
			}
		})
	}
}

// cachedFixture is a fixture whose server caches subscribedSkus, forgotten
// by the store's commit hook as cmd/internal/server wires it.
func cachedFixture(t *testing.T) *fixture {
	t.Helper()
	cache := NewSKUCache()
	f := newFixture(t, func(o *Options, _ *Services) { o.SKUCache = cache })
	f.db.OnCommit(cache.Forget)
	return f
}

// TestSubscribedSKUsCached checks that the cached subscribedSkus, with and
// without $select, answer what the store holds, byte for byte as rendered
// through maps, before and after a commit changes the counters.
func TestSubscribedSKUsCached(t *testing.T) {
	f := cachedFixture(t)
	ctx := context.Background()
	p := sys(f.a.tenant.ID)
	check := func(step string) {
		t.Helper()
		skus, err := f.db.FindSubscribedSKUs(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"", "?$select=skuId,consumedUnits", "?$select=*"} {
			for range 2 { // the second from the cache
				resp := f.get(t, f.a, callerReader, "/v1.0/subscribedSkus"+q)
				if want, got := string(genericSKUs(t, &f.srv.links, f.a.tenant, skus, q)), string(resp.body); resp.status != 200 || want != got {
					t.Fatalf("%s, %q: status %d, body -want +got\n-%s\n+%s", step, q, resp.status, want, got)
				}
			}
		}
	}
	check("before")
	u := f.freshUser(t, f.a)
	resp := f.send(t, f.a, callerLicense, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses":[{"skuId":"`+skuE3+`"}],"removeLicenses":[]}`)
	if resp.status != 200 {
		t.Fatalf("assign: %d %s", resp.status, resp.body)
	}
	check("after an assignment")
	if resp := f.get(t, f.b, callerReader, "/v1.0/subscribedSkus"); resp.status != 200 || !strings.Contains(string(resp.body), f.b.tenant.ID) || strings.Contains(string(resp.body), f.a.tenant.ID) {
		t.Errorf("the other tenant's list: %d %s", resp.status, resp.body)
	}
	if resp := f.get(t, f.a, callerOrdinary, "/v1.0/subscribedSkus"); resp.status != 403 {
		t.Errorf("an ordinary user, cache warm: status -want +got\n-403\n+%d %s", resp.status, resp.body)
	}
}

// TestSKUCacheStaleLoad checks that a list read before a commit is not
// kept once that commit's change was forgotten, for its tenant or all.
func TestSKUCacheStaleLoad(t *testing.T) {
	tests := []struct {
		name   string
		change allot.Change
		kept   bool
	}{
		{"the tenant changed", allot.Change{TenantID: "a"}, false},
		{"every tenant changed", allot.Change{All: true}, false},
		{"another tenant changed", allot.Change{TenantID: "b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewSKUCache()
			_, gen := c.lookup("a")
			c.Forget(tt.change)
			c.store("a", &tenantSKUs{}, gen)
			if got, _ := c.lookup("a"); (got != nil) != tt.kept {
				t.Errorf("kept -want +got\n-%v\n+%v", tt.kept, got != nil)
			}
		})
	}
}

// BenchmarkSKUBytes and BenchmarkSKUMaps render W7's page, 200 SKUs of 25
// plans, from bytes and through maps.
func BenchmarkSKUBytes(b *testing.B) {
	e := &tenantSKUs{tenant: &allot.Tenant{Name: "Bench"}, skus: manySKUs(200, 25)}
	var st skuStatic
	r := httptest.NewRequest("GET", "http://allot.test/v1.0/subscribedSkus", nil)
	w := &discardWriter{header: map[string][]string{}}
	b.ReportAllocs()
	for b.Loop() {
		writeSKUCollection(w, r, st.appendValue(nil, e))
	}
}

// BenchmarkSKUMaps is BenchmarkSKUBytes through maps.
func BenchmarkSKUMaps(b *testing.B) {
	e := &tenantSKUs{tenant: &allot.Tenant{Name: "Bench"}, skus: manySKUs(200, 25)}
	b.ReportAllocs()
	for b.Loop() {
		genericSKUs(b, nil, e.tenant, e.skus, "")
	}
}

// BenchmarkSubscribedSkus200Cached is BenchmarkSubscribedSkus200 with a
// SKUCache, as cmd/internal/server runs it.
func BenchmarkSubscribedSkus200Cached(b *testing.B) {
	cache := NewSKUCache()
	f := newFixture(b, benchLogger, func(o *Options, s *Services) {
		o.SKUCache = cache
		s.Subscriptions = constSKUs{SubscriptionService: s.Subscriptions, skus: manySKUs(200, 25)}
	})
	benchGet(b, f.srv.Handler(), "/v1.0/subscribedSkus", f.a.tokens[callerReader])
}
