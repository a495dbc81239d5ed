package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func testUsers(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := &allot.User{UserPrincipalName: "Adele.Vance@Contoso.example", DisplayName: "Adele Vance", UsageLocation: "us", AccountEnabled: true}
	must(t, f.S.CreateUser(ctx, f.Admins[allot.RoleUserAdmin], u))
	diff(t, "usage location normalised", u.UsageLocation, "US")
	for _, key := range []string{u.ID, "adele.vance@contoso.example", "ADELE.VANCE@CONTOSO.EXAMPLE"} {
		got, err := f.S.FindUser(ctx, f.Admins[allot.RoleGlobalReader], key)
		must(t, err)
		diff(t, "find "+key, got.ID, u.ID)
	}
	dup := &allot.User{UserPrincipalName: "adele.vance@CONTOSO.example", DisplayName: "Other", AccountEnabled: true}
	wantCode(t, "UPN unique, case-insensitive", f.S.CreateUser(ctx, f.Sys, dup), allot.ECONFLICT)

	for _, tt := range []struct {
		name string
		u    allot.User
	}{
		{"no UPN", allot.User{DisplayName: "x"}},
		{"UPN without domain", allot.User{UserPrincipalName: "bob", DisplayName: "x"}},
		{"no display name", allot.User{UserPrincipalName: "bob@contoso.example"}},
		{"bad country", allot.User{UserPrincipalName: "bob@contoso.example", DisplayName: "x", UsageLocation: "XX"}},
		{"three letters", allot.User{UserPrincipalName: "bob@contoso.example", DisplayName: "x", UsageLocation: "FRA"}},
		{"control character", allot.User{UserPrincipalName: "bob@contoso.example", DisplayName: "x\x00y"}},
		{"invalid UTF-8", allot.User{UserPrincipalName: "bob@contoso.example", DisplayName: "x", JobTitle: "\xff"}},
	} {
		wantCode(t, tt.name, f.S.CreateUser(ctx, f.Sys, &tt.u), allot.EINVALID)
	}
	wantCode(t, "license admin cannot create users", f.S.CreateUser(ctx, f.Admins[allot.RoleLicenseAdmin],
		&allot.User{UserPrincipalName: "c@contoso.example", DisplayName: "c"}), allot.EFORBIDDEN)

	got, err := f.S.UpdateUser(ctx, f.Admins[allot.RoleUserAdmin], u.ID, allot.UserUpdate{DisplayName: ptr("Adèle Vance"), AccountEnabled: ptr(false)})
	must(t, err)
	diff(t, "updated", []any{got.DisplayName, got.AccountEnabled, got.UsageLocation}, []any{"Adèle Vance", false, "US"})
	_, err = f.S.UpdateUser(ctx, f.Admins[allot.RoleLicenseAdmin], u.ID, allot.UserUpdate{UsageLocation: ptr("fr")})
	must(t, err) // license administrators may set the usage location
	_, err = f.S.UpdateUser(ctx, f.Admins[allot.RoleLicenseAdmin], u.ID, allot.UserUpdate{DisplayName: ptr("x")})
	wantCode(t, "license admin renaming", err, allot.EFORBIDDEN)
	_, err = f.S.UpdateUser(ctx, f.Sys, u.ID, allot.UserUpdate{UsageLocation: ptr("ZZ")})
	wantCode(t, "bad usage location", err, allot.EINVALID)
	got, err = f.S.FindUser(ctx, f.Sys, u.ID)
	must(t, err)
	diff(t, "refused update changed nothing", got.UsageLocation, "FR")
	_, err = f.S.UpdateUser(ctx, f.Sys, "nobody@contoso.example", allot.UserUpdate{DisplayName: ptr("x")})
	wantCode(t, "update unknown", err, allot.ENOTFOUND)

	// An ordinary user reads only itself.
	_, err = f.S.FindUser(ctx, f.Plain, u.ID)
	wantCode(t, "plain user reading another", err, allot.EFORBIDDEN)
	me, err := f.S.FindUser(ctx, f.Plain, f.Plain.UserID)
	must(t, err)
	diff(t, "plain user reading itself", me.ID, f.Plain.UserID)
	_, _, err = f.S.FindUsers(ctx, f.Plain, allot.UserFilter{})
	wantCode(t, "plain user listing", err, allot.EFORBIDDEN)
}

func testUserFilters(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 5)
	names := map[string]string{}
	mk := func(upn, name, loc string, enabled bool, skus ...string) {
		u := &allot.User{UserPrincipalName: upn, DisplayName: name, UsageLocation: loc, AccountEnabled: enabled}
		must(t, f.S.CreateUser(ctx, f.Sys, u))
		if len(skus) > 0 {
			f.Assign(u.ID, skus...)
		}
		names[u.ID] = upn
	}
	mk("megan@contoso.example", "Megan Bowen", "US", true, O365E3)
	mk("miriam@contoso.example", "Miriam Graham", "US", false, O365E3)
	mk("manon@contoso.example", "Manon Petit", "FR", true, BusinessPremium)
	mk("nestor@contoso.example", "Nestor Wilke", "", true)
	mk("pct@contoso.example", "100%_sure", "FR", true)

	list := func(fl allot.UserFilter) []string {
		t.Helper()
		users, _, err := f.S.FindUsers(ctx, f.Admins[allot.RoleGlobalReader], fl)
		must(t, err)
		var got []string
		for _, u := range users {
			if _, ok := names[u.ID]; ok {
				got = append(got, names[u.ID])
			}
		}
		n, err := f.S.CountUsers(ctx, f.Admins[allot.RoleGlobalReader], fl)
		must(t, err)
		if n != len(users) {
			t.Errorf("CountUsers(%+v) = %d, FindUsers found %d", fl, n, len(users))
		}
		if len(users) > 1 {
			fl.CountAtMost = len(users) - 1
			n, err := f.S.CountUsers(ctx, f.Admins[allot.RoleGlobalReader], fl)
			must(t, err)
			if n != len(users)-1 {
				t.Errorf("CountUsers(%+v) = %d, want it to stop at %d", fl, n, len(users)-1)
			}
		}
		return sorted(got)
	}
	no := false
	tests := []struct {
		name string
		f    allot.UserFilter
		want []string
	}{
		{"holding E3", allot.UserFilter{SKUID: O365E3}, []string{"megan@contoso.example", "miriam@contoso.example"}},
		{"holding E3, disabled", allot.UserFilter{SKUID: O365E3, Enabled: &no}, []string{"miriam@contoso.example"}},
		{"name prefix, any case", allot.UserFilter{NamePrefix: "mA"}, []string{"manon@contoso.example"}},
		{"prefix with wildcards is literal", allot.UserFilter{NamePrefix: "100%_"}, []string{"pct@contoso.example"}},
		{"prefix % matches nothing", allot.UserFilter{NamePrefix: "%"}, nil},
		{"by UPN", allot.UserFilter{UPN: "NESTOR@contoso.example"}, []string{"nestor@contoso.example"}},
		{"disabled", allot.UserFilter{Enabled: &no}, []string{"miriam@contoso.example"}},
		{"licensed", allot.UserFilter{Licensed: true}, []string{"manon@contoso.example", "megan@contoso.example", "miriam@contoso.example"}},
		{"licensed, disabled", allot.UserFilter{Licensed: true, Enabled: &no}, []string{"miriam@contoso.example"}},
	}
	for _, tt := range tests {
		diff(t, tt.name, list(tt.f), tt.want)
	}
	// Unlicensed: the fixture's admins and plain user are unlicensed too.
	un := list(allot.UserFilter{Unlicensed: true})
	diff(t, "unlicensed", un, []string{"nestor@contoso.example", "pct@contoso.example"})
	users, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{SKUID: BusinessPremium, WithLicenses: true})
	must(t, err)
	diff(t, "with licenses", skuIDs(users[0].Licenses), []string{BusinessPremium})
	_, _, err = f.S.FindUsers(ctx, f.Sys, allot.UserFilter{Limit: 1001})
	wantCode(t, "page too large", err, allot.EINVALID)
}

func testUserPaging(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	f.Subscribe(O365E5, 300)
	want := map[string]bool{}
	for i := 0; i < 230; i++ {
		u := f.User(fmt.Sprintf("u%03d@contoso.example", i), "US")
		if i%2 == 0 {
			f.Assign(u.ID, O365E5)
			want[u.ID] = true
		}
	}
	for _, limit := range []int{1, 7, 50, 1000} {
		seen := map[string]bool{}
		after, pages := "", 0
		for {
			users, more, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{SKUID: O365E5, After: after, Limit: limit})
			must(t, err)
			pages++
			for _, u := range users {
				if seen[u.ID] {
					t.Fatalf("limit %d: user %s seen twice", limit, u.ID)
				}
				seen[u.ID] = true
				after = u.ID
			}
			if !more {
				break
			}
		}
		diff(t, fmt.Sprintf("limit %d: all holders once", limit), seen, want)
		diff(t, fmt.Sprintf("limit %d: pages", limit), pages, (115+limit-1)/limit)
	}
}

func testDeleteRestorePurge(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	u := f.User("leaver@contoso.example", "FR")
	f.Assign(u.ID, O365E3, ExchangeArchive)
	diff(t, "E3 full", f.SKU(O365E3).Available(), 0)

	wantCode(t, "license admin deleting", f.S.DeleteUser(ctx, f.Admins[allot.RoleLicenseAdmin], u.ID), allot.EFORBIDDEN)
	must(t, f.S.DeleteUser(ctx, f.Admins[allot.RoleUserAdmin], u.UserPrincipalName))
	diff(t, "seat freed at once", f.SKU(O365E3).Available(), 1)
	f.CheckCounters()
	_, err := f.S.FindUser(ctx, f.Sys, u.ID)
	wantCode(t, "deleted user is not found", err, allot.ENOTFOUND)
	deleted, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{Deleted: true, WithLicenses: true})
	must(t, err)
	if len(deleted) != 1 || deleted[0].ID != u.ID || deleted[0].DeletedAt.IsZero() {
		t.Fatalf("deleted users = %+v, want the leaver", deleted)
	}
	diff(t, "deleted user's licenses kept for restore", sorted(skuIDs(deleted[0].Licenses)), sorted([]string{O365E3, ExchangeArchive}))
	held, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{Deleted: true, SKUID: O365E3})
	must(t, err)
	diff(t, "deleted holders of E3", len(held), 1)
	un, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{Deleted: true, Unlicensed: true})
	must(t, err)
	diff(t, "deleted and unlicensed", len(un), 0)

	// The freed seat goes to someone else; restore must then refuse, whole.
	other := f.User("newcomer@contoso.example", "FR")
	f.Assign(other.ID, O365E3)
	archiveBefore := f.SKU(ExchangeArchive).Consumed
	_, err = f.S.RestoreUser(ctx, f.Admin(), u.ID)
	wantCode(t, "restore without seat", err, allot.ECOUNTVIOLATION)
	diff(t, "refused restore changed nothing", f.SKU(ExchangeArchive).Consumed, archiveBefore)
	_, err = f.S.FindUser(ctx, f.Sys, u.ID)
	wantCode(t, "still deleted", err, allot.ENOTFOUND)

	_, err = f.S.AssignLicenses(ctx, f.Admin(), other.ID, remove(O365E3))
	must(t, err)
	restored, err := f.S.RestoreUser(ctx, f.Admin(), u.ID)
	must(t, err)
	diff(t, "licenses back", sorted(skuIDs(restored.Licenses)), sorted([]string{O365E3, ExchangeArchive}))
	f.CheckCounters()

	// A UPN reused while deleted blocks the restore.
	must(t, f.S.DeleteUser(ctx, f.Admin(), u.ID))
	f.User("leaver@contoso.example", "US")
	_, err = f.S.RestoreUser(ctx, f.Admin(), u.ID)
	wantCode(t, "restore over a reused UPN", err, allot.ECONFLICT)

	// Purge: only users deleted more than 30 days ago go.
	late := f.User("late@contoso.example", "US")
	f.Clock.Advance(20 * 24 * time.Hour)
	must(t, f.S.DeleteUser(ctx, f.Admin(), late.ID))
	n, err := f.S.PurgeDeletedUsers(ctx, f.Clock.Now().Add(11*24*time.Hour))
	must(t, err)
	diff(t, "purged", n, 1)
	_, err = f.S.RestoreUser(ctx, f.Admin(), u.ID)
	wantCode(t, "purged user cannot be restored", err, allot.ENOTFOUND)
	_, err = f.S.RestoreUser(ctx, f.Admin(), late.ID)
	must(t, err)
	f.CheckCounters()
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
