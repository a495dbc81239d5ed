package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlstore.Open(ctx, path, sqlstore.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open on schema 999 = %v, want a refusal", err)
	}
}

func TestSQLiteSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	if _, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Synchronous: "OFF"}); err == nil {
		t.Error("synchronous=OFF accepted; it can lose committed data")
	}
}

// TestCommittedSurvivesCrash commits an assignment in a child process that
// then dies by SIGKILL without closing anything, and checks the assignment
// is there on reopening.
func TestCommittedSurvivesCrash(t *testing.T) {
	if path := os.Getenv("ALLOT_CRASH_DB"); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "allot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCommittedSurvivesCrash$")
	cmd.Env = append(os.Environ(), "ALLOT_CRASH_DB="+path)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child did not die by signal: %v\n%s", err, out)
	}
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn, err := db.FindTenantByDomain(context.Background(), "crash.example")
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.FindUser(context.Background(), allot.SystemPrincipal(tn.ID, "t"), "u@crash.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Licenses) != 1 {
		t.Fatalf("licenses after crash = %+v, want the committed one", u.Licenses)
	}
	if bad, err := db.CheckCounters(context.Background()); err != nil || len(bad) > 0 {
		t.Fatalf("counters after crash: %v %v", bad, err)
	}
}

func crashChild(path string) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		panic(err)
	}
	tn := &allot.Tenant{Name: "Crash", Domain: "crash.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		panic(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	if err := db.CreateSubscription(ctx, p, &allot.Subscription{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900", Quantity: 1}); err != nil {
		panic(err)
	}
	u := &allot.User{UserPrincipalName: "u@crash.example", DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
	if err := db.CreateUser(ctx, p, u); err != nil {
		panic(err)
	}
	if _, err := db.AssignLicenses(ctx, p, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900"}}}); err != nil {
		panic(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
}
