package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestUserOrderQueryPlan asks SQLite how it runs a product page's
// listings (allot.UserOrder): read in order from an index, never a walk
// of the tenant followed by a sort; a name search reads the names' range
// (and sorts only the users found), with the statistics that Import's
// sampled ANALYZE leaves on a large tenant.
func TestUserOrderQueryPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqliteExec(t, path, `ANALYZE`, `INSERT INTO sqlite_stat1 VALUES
		('users', 'sqlite_autoindex_users_1', '100000 1001 1'),
		('users', 'users_upn', '100000 1001 1'),
		('users', 'users_name', '100000 1001 1001'),
		('users', 'users_name_order', '100000 1001 1 1'),
		('licenses', 'sqlite_autoindex_licenses_1', '100000 1001 1 1'),
		('licenses', 'licenses_sku', '100000 1001 1001 1')`)
	sku := "6fd2c87f-b296-42f0-b197-1e91e994b900"
	tests := []struct {
		name string
		f    allot.UserFilter
		want string // the end of the plan's first step: the index's range
	}{
		{"by name", allot.UserFilter{SKUID: sku, Order: allot.UserOrderName},
			"SEARCH u USING INDEX users_name_order (tenant_id=?)"},
		{"by name, next page", allot.UserFilter{SKUID: sku, Order: allot.UserOrderName, After: "x", AfterKey: "user 5"},
			"SEARCH u USING INDEX users_name_order (tenant_id=? AND (display_lower,user_id)>(?,?))"},
		{"by name descending, searched", allot.UserFilter{SKUID: sku, Order: allot.UserOrderNameDesc, NamePrefix: "User 99"},
			"SEARCH u USING INDEX users_name_order (tenant_id=? AND display_lower>? AND display_lower<?)"},
		{"by UPN descending", allot.UserFilter{SKUID: sku, Order: allot.UserOrderUPNDesc},
			"SEARCH u USING INDEX users_upn (tenant_id=?)"},
		{"by UPN, next page", allot.UserFilter{SKUID: sku, Order: allot.UserOrderUPN, After: "x", AfterKey: "user5@bench.example"},
			"SEARCH u USING INDEX users_upn (tenant_id=? AND upn_lower>?)"},
		{"by UPN, searched", allot.UserFilter{SKUID: sku, Order: allot.UserOrderUPN, NamePrefix: "User 99"},
			"(tenant_id=? AND display_lower>? AND display_lower<?)"},
		{"by id, searched", allot.UserFilter{SKUID: sku, NamePrefix: "User 99"},
			"(tenant_id=? AND display_lower>? AND display_lower<?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Limit = 50
			q, args := db.UserQuery("t", tt.f)
			got := sqlitePlan(t, path, q, args...)
			if len(got) == 0 || !strings.HasSuffix(got[0], tt.want) {
				t.Errorf("query plan (-want +got):\n-%q\n+%q", tt.want, got)
			}
			for _, step := range got {
				if strings.Contains(step, "TEMP B-TREE") && tt.f.Order != allot.UserOrderID && tt.f.NamePrefix == "" {
					t.Errorf("the listing is sorted after it is read: %q", got)
				}
			}
		})
	}
}
