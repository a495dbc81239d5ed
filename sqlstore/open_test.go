package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
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
	if got := pageSize(t, path); got != sqlstore.PageSize {
		t.Errorf("page_size = %d, want %d", got, sqlstore.PageSize)
	}
	if _, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Synchronous: "OFF"}); err == nil {
		t.Error("synchronous=OFF accepted; it can lose committed data")
	}
}

// TestOlderPageSize opens a database created with SQLite's default page
// size, as allot created them before: it keeps its pages and serves, and
// its backup, the way to move it, has allot's page size and the same data.
func TestOlderPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "allot.db")
	raw, err := sql.Open("sqlite", path+"?_pragma=page_size(4096)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Ping(); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "Old", Domain: "old.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if got := pageSize(t, path); got != 4096 {
		t.Errorf("page_size of the older database = %d, want 4096 kept", got)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if got := pageSize(t, backup); got != sqlstore.PageSize {
		t.Errorf("page_size of its backup = %d, want %d", got, sqlstore.PageSize)
	}
	restored, err := sqlstore.Open(ctx, backup, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if got, err := restored.FindTenantByID(ctx, tn.ID); err != nil || got.Domain != tn.Domain {
		t.Errorf("the tenant in the backup = %+v, %v; want %s", got, err, tn.Domain)
	}
}

// pageSize reads the page size of the SQLite database at path.
func pageSize(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`PRAGMA page_size`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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

func TestImport(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const e3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	set := sqlstore.ImportSet{
		Tenant:        &allot.Tenant{ID: "5a1e4f7b-0000-4000-8000-000000000001", Name: "Imported", Domain: "imported.example"},
		Subscriptions: []*allot.Subscription{{ID: "5a1e4f7b-0000-4000-8000-000000000002", SKUID: e3, Quantity: 5000, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin}},
	}
	for i := 0; i < 1200; i++ {
		u := &allot.User{ID: fmt.Sprintf("5a1e4f7b-0000-4000-8000-%012d", 1000+i), UserPrincipalName: fmt.Sprintf("u%d@imported.example", i), DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
		if i%3 == 0 {
			u.Licenses = []allot.License{{SKUID: e3, DisabledPlans: []string{}}}
		}
		set.Users = append(set.Users, u)
	}
	if err := db.Import(ctx, set); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(set.Tenant.ID, "t")
	sku, err := db.FindSubscribedSKU(ctx, p, e3)
	if err != nil || sku.Consumed != 400 || sku.Available() != 4600 {
		t.Fatalf("imported SKU: %+v %v", sku, err)
	}
	if n, err := db.CountUsers(ctx, p, allot.UserFilter{}); err != nil || n != 1200 {
		t.Fatalf("imported users: %d %v", n, err)
	}
	if bad, err := db.CheckCounters(ctx); err != nil || len(bad) > 0 {
		t.Fatalf("counters: %v %v", bad, err)
	}
	// An E3 user has its mailbox and files provisioned, as an assignment
	// gives them; a user without a license has none.
	for _, tt := range []struct {
		upn           string
		mailbox       allot.MailboxState
		files         allot.FilesState
		wantCreatedAt bool
	}{
		{"u0@imported.example", allot.MailboxActive, allot.FilesActive, true},
		{"u1@imported.example", allot.MailboxNone, allot.FilesNone, false},
	} {
		d, err := db.FindUserData(ctx, p, tt.upn)
		if err != nil || d.Mailbox != tt.mailbox || d.Files != tt.files || d.MailboxCreatedAt.IsZero() == tt.wantCreatedAt || d.FilesSince.IsZero() == tt.wantCreatedAt {
			t.Errorf("%s's data: %+v %v, want mailbox %q, files %q, provisioned at import %v", tt.upn, d, err, tt.mailbox, tt.files, tt.wantCreatedAt)
		}
	}
	// The imported users behave like any other.
	if _, err := db.AssignLicenses(ctx, p, "u1@imported.example", allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}}); err != nil {
		t.Fatal(err)
	}
	set.Users[0].Licenses[0].SKUID = "19ec0d23-8335-4cbd-94ac-6050e30712fa"
	set.Tenant.ID, set.Tenant.Domain = "5a1e4f7b-0000-4000-8000-000000000009", "other.example"
	if err := db.Import(ctx, set); allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("import of a license without a subscription: %v, want invalid", err)
	}
}
