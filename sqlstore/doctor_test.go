package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// TestDoctor seeds the demo tenant, finds it healthy, then breaks one
// invariant at a time behind the store's back and checks that Doctor names
// it.
func TestDoctor(t *testing.T) {
	for _, tt := range []struct {
		name, sql, want string
		detail          string // in the problem's line, when given
	}{
		{name: "healthy"},
		{name: "counter", sql: `UPDATE seat_pools SET consumed = consumed + 1 WHERE rowid = (SELECT MIN(rowid) FROM seat_pools)`, want: "counter:"},
		{name: "capacity", sql: `UPDATE seat_pools SET capacity = capacity + 7`, want: "capacity:"},
		{name: "over capacity", sql: `UPDATE subscriptions SET quantity = 0; UPDATE seat_pools SET capacity = 0`, want: "over capacity:"},
		{name: "pool no subscription backs", sql: `DELETE FROM subscriptions`, want: "pool:"},
		{name: "deleted user holding licenses", sql: `UPDATE users SET deleted_at = 1 WHERE user_id IN (SELECT user_id FROM licenses)`, want: "deleted user:"},
		{name: "no audit", sql: `DELETE FROM audit_subjects; DELETE FROM audit_events`, want: "audit:"},
		{name: "user without a version", sql: `DELETE FROM user_versions WHERE user_id = (SELECT MIN(user_id) FROM users)`, want: "integrity:", detail: "has no version: its changes fail"},
		{name: "dangling version", sql: `INSERT INTO user_versions (tenant_id, user_id, version) SELECT tenant_id, 'nobody', 1 FROM tenants LIMIT 1`, want: "integrity:", detail: "a version names user nobody, who does not exist"},
		{name: "dangling license", sql: `PRAGMA foreign_keys = OFF; INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) SELECT tenant_id, 'nobody', sku_id, pool, '[]', 0 FROM seat_pools LIMIT 1`, want: "integrity:", detail: "names user nobody, who does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "allot.db")
			db, err := sqlstore.Open(ctx, path, sqlstore.Options{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
				t.Fatal(err)
			}
			if tt.sql != "" {
				raw, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := raw.ExecContext(ctx, tt.sql); err != nil {
					t.Fatalf("%s: %v", tt.sql, err)
				}
				raw.Close()
			}
			problems, err := db.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("a healthy database: %q", got)
			case tt.want != "" && !strings.HasPrefix(strings.Join(got, "\n"), tt.want) && !strings.Contains(strings.Join(got, "\n"), "\n"+tt.want):
				t.Errorf("problems -want +got\n-%s…\n+%q", tt.want, got)
			case !strings.Contains(strings.Join(got, "\n"), tt.detail):
				t.Errorf("problems %q, want one saying %q", got, tt.detail)
			}
		})
	}
}

// TestDoctorPostgres checks that Doctor runs on PostgreSQL and finds the
// seeded demo tenant healthy, then a broken counter.
func TestDoctorPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := postgresURL(t)
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	if problems, err := db.Doctor(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("a healthy database: %v, %v", problems, err)
	}
	if err := db.Backup(ctx, filepath.Join(t.TempDir(), "backup.db")); allot.ErrorCode(err) != allot.EINVALID || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backing PostgreSQL up: %v, want EINVALID naming pg_dump", err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE seat_pools SET capacity = capacity + 1`); err != nil {
		t.Fatal(err)
	}
	if problems, err := db.Doctor(ctx); err != nil || len(problems) == 0 || problems[0].Check != "capacity" {
		t.Errorf("a broken capacity: %v, %v", problems, err)
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM user_versions WHERE user_id = (SELECT MIN(user_id) FROM users)`); err != nil {
		t.Fatal(err)
	}
	problems, err := db.Doctor(ctx)
	if err != nil || !slices.ContainsFunc(problems, func(p sqlstore.Problem) bool {
		return p.Check == "integrity" && strings.Contains(p.Detail, "has no version")
	}) {
		t.Errorf("a user without a version: %v, %v", problems, err)
	}
}
