package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestMigrationGivesTenantsTheirDomain opens a database made before
// domains existed (schema 4, with a tenant and a user) and checks that the
// tenant's domain becomes its verified default, so that it keeps working.
func TestMigrationGivesTenantsTheirDomain(t *testing.T) {
	engines := []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }},
		{"postgres", "pgx", postgresURL},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			dsn := e.dsn(t)
			schema4(t, e.name, e.driver, dsn)
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tn, err := db.FindTenantByDomain(ctx, "Old.example")
			if err != nil {
				t.Fatal(err)
			}
			p := allot.SystemPrincipal(tn.ID, "test")
			ds, err := db.FindDomains(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			var got []allot.Domain
			for _, d := range ds {
				got = append(got, allot.Domain{Name: d.Name, IsDefault: d.IsDefault, IsVerified: d.IsVerified, IsInitial: d.IsInitial})
			}
			want := []allot.Domain{{Name: "old.example", IsDefault: true, IsVerified: true, IsInitial: true}}
			if len(got) != 1 || got[0] != want[0] {
				t.Errorf("domains after the migration (-want +got):\n-%+v\n+%+v", want, got)
			}
			if err := db.CreateUser(ctx, p, &allot.User{UserPrincipalName: "new@old.example", DisplayName: "New", AccountEnabled: true}); err != nil {
				t.Errorf("a user on the migrated domain: %v", err)
			}
			err = db.CreateUser(ctx, p, &allot.User{UserPrincipalName: "x1@other.example", DisplayName: "X1", AccountEnabled: true})
			if allot.ErrorCode(err) != allot.EINVALID {
				t.Errorf("a user on a foreign domain: %v, want EINVALID", err)
			}
		})
	}
}

// schema4 makes at dsn a database of schema version 4 holding the tenant
// old.example (its domain stored in upper case, as nothing forbade) and
// one user.
func schema4(t *testing.T, engine, driver, dsn string) {
	t.Helper()
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	files, err := filepath.Glob(filepath.Join("migrations", engine, "000[1-4]_*.sql"))
	if err != nil || len(files) != 4 {
		t.Fatalf("migrations 1 to 4 of %s: %v %v", engine, files, err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`}
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(body), `INSERT INTO schema_migrations (version, applied_at) VALUES (`+string(rune('1'+i))+`, 0)`)
	}
	stmts = append(stmts,
		`INSERT INTO tenants (tenant_id, name, domain, created_at) VALUES ('01d00000-0000-4000-8000-000000000001', 'Old', 'OLD.example', 0)`,
		`INSERT INTO users (tenant_id, user_id, upn, upn_lower, display_name, display_lower, given_name, surname, job_title, usage_location, account_enabled, created_at)
			VALUES ('01d00000-0000-4000-8000-000000000001', '01d00000-0000-4000-8000-000000000002', 'a@old.example', 'a@old.example', 'A', 'a', '', '', '', 'FR', TRUE, 0)`)
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}
