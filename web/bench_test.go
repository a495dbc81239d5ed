package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// benchUsers is the size of the tenant the page benchmarks render.
const benchUsers = 100_000

// BenchmarkPages measures the server time of each page at 100,000 users
// who all hold one product, through the whole handler (session check,
// store reads, template, headers). The target is under 50 ms per
// page; run it with go test ./web -run '^$' -bench Pages -benchtime 20x.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "allot.db"), sqlstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tn, users := importBenchTenant(b, db)
	p := allot.SystemPrincipal(tn.ID, "bench")
	if err := db.AssignRole(ctx, p, users[0].ID, allot.RoleGlobalAdmin); err != nil {
		b.Fatal(err)
	}
	secret, _, err := db.CreateToken(ctx, tn.ID, users[0].UserPrincipalName, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Services{Users: db, Licenses: db, Subscriptions: db, Tokens: db, Audit: db, Seats: db, Catalog: db.Catalog()},
		Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	sku := "/licenses/" + demo.SKUOffice365E3
	mid := users[benchUsers/2]
	paths := []string{"/licenses", sku, sku + "?q=User%2099", sku + "?sort=name&key=" + url.QueryEscape(strings.ToLower(mid.DisplayName)) + "&after=" + mid.ID,
		sku + "?sort=-upn", sku + "?sort=upn&q=User%2099", "/products", "/my"}
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", path, w.Code)
				}
			}
		})
	}
}

// importBenchTenant writes a tenant of benchUsers users holding Office 365
// E3 in one import, and returns it with its users.
func importBenchTenant(b *testing.B, db *sqlstore.DB) (*allot.Tenant, []*allot.User) {
	b.Helper()
	id := func() string {
		g, err := allot.NewGUID(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		return g.String()
	}
	now := time.Now().UTC()
	tn := &allot.Tenant{ID: id(), Name: "Bench", Domain: "bench.example", CreatedAt: now}
	sub := &allot.Subscription{ID: id(), TenantID: tn.ID, SKUID: demo.SKUOffice365E3, Status: allot.StatusEnabled, Quantity: benchUsers,
		OwnerType: allot.OwnerAdmin, CreatedAt: now}
	users := make([]*allot.User, benchUsers)
	for i := range users {
		users[i] = &allot.User{ID: id(), TenantID: tn.ID, UserPrincipalName: fmt.Sprintf("user%d@bench.example", i),
			DisplayName: fmt.Sprintf("User %d", i), UsageLocation: "US", AccountEnabled: true, CreatedAt: now,
			Licenses: []allot.License{{SKUID: demo.SKUOffice365E3, AssignedAt: now}}}
	}
	if err := db.Import(context.Background(), sqlstore.ImportSet{Tenant: tn, Subscriptions: []*allot.Subscription{sub}, Users: users}); err != nil {
		b.Fatal(err)
	}
	return tn, users
}
