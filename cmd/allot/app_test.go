package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestAppPurges checks that a running server purges users deleted more
// than 30 days ago, and keeps the others.
func TestAppPurges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: clock, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "P", Domain: "p.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	p := allot.SystemPrincipal(tn.ID, "test")
	for _, upn := range []string{"old@p.example", "recent@p.example"} {
		u := &allot.User{UserPrincipalName: upn, DisplayName: upn}
		noErr(t, db.CreateUser(ctx, p, u))
		noErr(t, db.DeleteUser(ctx, p, u.ID))
		now = now.Add(20 * 24 * time.Hour)
	}
	now = now.Add(-20*24*time.Hour + 11*24*time.Hour) // old: 31 days ago; recent: 11

	a, err := startApp(ctx, db, appOptions{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: clock, purgeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		users, _, err := db.FindUsers(ctx, p, allot.UserFilter{Deleted: true})
		noErr(t, err)
		if len(users) == 1 && users[0].UserPrincipalName == "recent@p.example" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deleted users after start: %d, want only the recent one", len(users))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
