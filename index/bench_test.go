package index

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/allot-project/allot"
)

// benchSource is an EntitlementSource of n users of one tenant, each
// holding E3 with one plan disabled.
type benchSource struct{ users []*allot.Entitlement }

func newBenchSource(n int) *benchSource {
	src := &benchSource{}
	for i := 0; i < n; i++ {
		src.users = append(src.users, &allot.Entitlement{TenantID: benchTenant,
			UserID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), UserPrincipalName: fmt.Sprintf("u%d@bench.example", i),
			AccountEnabled: true, Licenses: []allot.License{{SKUID: benchE3, DisabledPlans: []string{benchTeams}}}})
	}
	return src
}

func (s *benchSource) ScanEntitlements(_ context.Context, _ string, fn func(*allot.Entitlement) error) error {
	for _, e := range s.users {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *benchSource) FindEntitlements(context.Context, string, []string) ([]*allot.Entitlement, error) {
	return nil, nil
}

func (s *benchSource) FindPoolAccess(context.Context, string) (map[allot.PoolKey]bool, error) {
	return map[allot.PoolKey]bool{{TenantID: benchTenant, SKUID: benchE3}: true}, nil
}

const (
	benchTenant = "7a1e5b0c-0000-4000-8000-000000000001"
	benchE3     = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3
	benchTeams  = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
	benchExch   = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
)

// BenchmarkCheck measures one license check (W1's unit of work) by user
// id and by userPrincipalName, upper-case ids included.
func BenchmarkCheck(b *testing.B) {
	src := newBenchSource(10000)
	ix := New(allot.DemoCatalog(), src)
	if err := ix.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	p := allot.SystemPrincipal(benchTenant, "bench")
	for _, bm := range []struct{ name, user string }{
		{"id", src.users[4242].UserID},
		{"upper-id", "00000ABC-0000-4000-8000-000000000ABC"},
		{"upn", src.users[4242].UserPrincipalName},
	} {
		b.Run(bm.name, func(b *testing.B) {
			reqs := []allot.CheckRequest{{User: bm.user, ServicePlan: benchExch}}
			b.ReportAllocs()
			for b.Loop() {
				res, err := ix.Check(context.Background(), p, reqs)
				if err != nil || !res[0].Licensed {
					b.Fatalf("check: %+v %v", res, err)
				}
			}
		})
	}
}

// BenchmarkLoad measures loading 100 000 users from a source, and reports
// the heap the loaded index keeps per user.
func BenchmarkLoad(b *testing.B) {
	src := newBenchSource(100000)
	b.ReportAllocs()
	var ix *Index
	for b.Loop() {
		ix = New(allot.DemoCatalog(), src)
		if err := ix.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var before, after runtime.MemStats
	ix = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix = New(allot.DemoCatalog(), src)
	if err := ix.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(ix.Users()), "heapB/user")
	runtime.KeepAlive(ix)
}
