package lifecycle_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/lifecycle"
	"github.com/allot-project/allot/sqlstore"
)

// TestSteps runs allot's steps on a real SQLite database and checks what
// each did: the purge removes the user deleted 31 days before now and
// keeps the one deleted 29 days before; the subscription whose term ended
// 30 days before now without recurring billing expired then (Warning)
// and is suspended now.
func TestSteps(t *testing.T) {
	ctx := context.Background()
	clock := at
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: func() time.Time { return clock }, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "L", Domain: "l.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "test")
	for _, upn := range []string{"old@l.example", "recent@l.example"} {
		u := &allot.User{UserPrincipalName: upn, DisplayName: upn}
		if err := db.CreateUser(ctx, p, u); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, p, u.ID); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(2 * 24 * time.Hour)
	}
	expiring := &allot.Subscription{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900", Quantity: 1, NextLifecycleAt: at.Add(24 * time.Hour)}
	if err := db.CreateSubscription(ctx, p, expiring); err != nil {
		t.Fatal(err)
	}
	now := at.Add(31 * 24 * time.Hour)

	tests := []struct {
		name string
		want []string
	}{
		{"first run", []string{"purge-deleted-users: 1 deleted user purged", "expire-user-data: 0 users' data expired", "subscription-lifecycle: 2 subscription transitions"}},
		{"second run, nothing left to do", []string{"purge-deleted-users: 0 deleted users purged", "expire-user-data: 0 users' data expired", "subscription-lifecycle: 0 subscription transitions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range lifecycle.Run(ctx, lifecycle.Steps(db), now) {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("(-want +got):\n-%q\n+%q", tt.want, got)
			}
		})
	}
	users, _, err := db.FindUsers(ctx, p, allot.UserFilter{Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].UserPrincipalName != "recent@l.example" {
		t.Errorf("users still deleted: %d, want only recent@l.example", len(users))
	}
}
