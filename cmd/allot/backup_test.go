package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBackup backs a demo database up while a server serves it, checks the
// copy with allot doctor, refuses to overwrite it, and sends PostgreSQL
// to pg_dump.
func TestBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	s := startServer(t, "--db", path)
	s.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", "adele@contoso.example")
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if got := runAllot(t, "backup", "--db", path, copyPath); got.code != 0 || !strings.Contains(got.stdout, "backed") {
		t.Fatalf("backup while serving: %+v", got)
	}
	if got := runAllot(t, "doctor", "--db", copyPath); got.code != 0 {
		t.Errorf("doctor on the copy: %+v", got)
	}
	if got := runAllot(t, "backup", "--db", path, copyPath); got.code != 1 || !strings.Contains(got.stderr, "exists") {
		t.Errorf("backup over an existing file: %+v, want exit 1 naming it", got)
	}
	if got := runAllot(t, "backup", "--db", path); got.code != 2 {
		t.Errorf("backup without FILE: %+v, want a usage error", got)
	}
	if got := runAllot(t, "backup", "--db", postgresDSN(t), filepath.Join(t.TempDir(), "pg.db")); got.code != 1 || !strings.Contains(got.stderr, "pg_dump") {
		t.Errorf("backup of PostgreSQL: %+v, want exit 1 naming pg_dump", got)
	}
}
