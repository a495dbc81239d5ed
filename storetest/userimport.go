package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/allot-project/allot"
)

// importOutcome is the part of an import result the tests compare.
type importOutcome struct {
	Line           int
	Action         string
	Fields         []string
	Added, Removed []string
	Code           string
}

// outcomes summarises import results.
func outcomes(results []allot.ImportResult) []importOutcome {
	out := make([]importOutcome, len(results))
	for i, r := range results {
		out[i] = importOutcome{Line: r.Line, Action: r.Action, Fields: r.Fields, Added: r.Added, Removed: r.Removed, Code: allot.ErrorCode(r.Err)}
	}
	return out
}

// importState is what an import may change: every active user with its
// fields and licenses, and the seats consumed.
func importSnapshot(t *testing.T, f *Fixture) []string {
	t.Helper()
	users, _, err := f.S.FindUsers(context.Background(), f.Sys, allot.UserFilter{Limit: allot.MaxPage, WithLicenses: true})
	must(t, err)
	var out []string
	for _, u := range users {
		out = append(out, u.UserPrincipalName+"|"+u.DisplayName+"|"+u.UsageLocation+"|"+map[bool]string{true: "on", false: "off"}[u.AccountEnabled])
		for _, l := range u.Licenses {
			out = append(out, "  "+l.SKUID)
		}
	}
	slices.Sort(out)
	return out
}

func testUserImport(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2) // two E3 seats
	held := f.User("held@contoso.example", "FR")
	f.Assign(held.ID, ExchangePlan1)
	same := f.User("same@contoso.example", "FR")
	f.Assign(same.ID, BusinessPremium)
	rows := []allot.ImportRow{
		{Line: 2, UserPrincipalName: "new@contoso.example", DisplayName: "New", UsageLocation: "FR", AccountEnabled: true, Licenses: []string{O365E3, ExchangeArchive}},
		{Line: 3, UserPrincipalName: "HELD@contoso.example", DisplayName: "Held", UsageLocation: "GB", AccountEnabled: true, Licenses: []string{O365E3}},
		{Line: 4, UserPrincipalName: "same@contoso.example", DisplayName: "same@contoso.example", UsageLocation: "FR", AccountEnabled: true, Licenses: []string{BusinessPremium}},
		{Line: 5, UserPrincipalName: "third@contoso.example", DisplayName: "Third", UsageLocation: "FR", AccountEnabled: true, Licenses: []string{O365E3}},
		{Line: 6, UserPrincipalName: "x@other.example", DisplayName: "X", AccountEnabled: true},
		{Line: 7, UserPrincipalName: "new@contoso.example", DisplayName: "Again", AccountEnabled: true},
	}
	want := []importOutcome{
		{Line: 2, Action: allot.ImportCreate, Added: []string{O365E3, ExchangeArchive}, Removed: []string{}},
		{Line: 3, Action: allot.ImportUpdate, Fields: []string{"displayName", "usageLocation"}, Added: []string{O365E3}, Removed: []string{ExchangePlan1}},
		{Line: 4, Action: allot.ImportUnchanged},
		{Line: 5, Code: allot.ECOUNTVIOLATION}, // the two E3 seats went to lines 2 and 3
		{Line: 6, Code: allot.EINVALID},        // not a domain of the tenant
		{Line: 7, Code: allot.EINVALID},        // a second row for one user
	}
	before := importSnapshot(t, f)
	admin := f.Admins[allot.RoleUserAdmin]
	for _, opts := range []allot.ImportOptions{{DryRun: true}, {Atomic: true}, {DryRun: true, Atomic: true}} {
		res, err := f.S.ImportUsers(ctx, admin, rows, opts)
		must(t, err)
		diff(t, "results", outcomes(res), want)
		diff(t, "nothing changed", importSnapshot(t, f), before)
	}
	res, err := f.S.ImportUsers(ctx, admin, rows, allot.ImportOptions{})
	must(t, err)
	diff(t, "applied results", outcomes(res), want)
	f.CheckCounters()
	got, err := f.S.FindUser(ctx, f.Sys, "new@contoso.example")
	must(t, err)
	diff(t, "created user", []any{got.DisplayName, got.UsageLocation, got.AccountEnabled, skuIDs(got.Licenses)},
		[]any{"New", "FR", true, []string{O365E3, ExchangeArchive}})
	got, err = f.S.FindUser(ctx, f.Sys, held.ID)
	must(t, err)
	diff(t, "updated user", []any{got.DisplayName, got.UsageLocation, skuIDs(got.Licenses)}, []any{"Held", "GB", []string{O365E3}})
	_, err = f.S.FindUser(ctx, f.Sys, "third@contoso.example")
	wantCode(t, "refused row created nobody", err, allot.ENOTFOUND)
	events, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{UserID: got.ID})
	must(t, err)
	if !slices.ContainsFunc(events, func(e *allot.AuditEvent) bool { return e.Action == allot.AuditUserUpdate }) ||
		!slices.ContainsFunc(events, func(e *allot.AuditEvent) bool {
			return e.Action == allot.AuditLicenseRemove && e.SKUID == ExchangePlan1
		}) {
		t.Errorf("the import's changes to %s are not all audited: %v", held.UserPrincipalName, events)
	}

	// Importing what is there changes nothing.
	res, err = f.S.ImportUsers(ctx, admin, rows[:3], allot.ImportOptions{})
	must(t, err)
	for _, o := range outcomes(res) {
		diff(t, "re-import", o.Action, allot.ImportUnchanged)
	}
	testUserImportRoles(t, f)
}

// testUserImportRoles checks who may import what.
func testUserImportRoles(t *testing.T, f *Fixture) {
	ctx := context.Background()
	_, err := f.S.ImportUsers(ctx, f.Admins[allot.RoleGlobalReader], nil, allot.ImportOptions{})
	wantCode(t, "a reader imports", err, allot.EFORBIDDEN)
	rows := []allot.ImportRow{
		{Line: 2, UserPrincipalName: "la@contoso.example", DisplayName: "LA", UsageLocation: "FR", AccountEnabled: true},
		{Line: 3, UserPrincipalName: "held@contoso.example", DisplayName: "Held", UsageLocation: "DE", AccountEnabled: true, Licenses: []string{O365E3, ExchangeArchive}},
		{Line: 4, UserPrincipalName: "same@contoso.example", DisplayName: "Renamed", UsageLocation: "FR", AccountEnabled: true, Licenses: []string{BusinessPremium}},
	}
	res, err := f.S.ImportUsers(ctx, f.Admins[allot.RoleLicenseAdmin], rows, allot.ImportOptions{})
	must(t, err)
	diff(t, "license administrator", outcomes(res), []importOutcome{
		{Line: 2, Code: allot.EFORBIDDEN},
		{Line: 3, Action: allot.ImportUpdate, Fields: []string{"usageLocation"}, Added: []string{ExchangeArchive}, Removed: []string{}},
		{Line: 4, Code: allot.EFORBIDDEN},
	})
	f.CheckCounters()

	// Blocking the last Global Administrator is refused for its row alone.
	ga := f.Admin()
	rows = []allot.ImportRow{
		{Line: 2, UserPrincipalName: ga.Name, DisplayName: ga.Name, UsageLocation: "FR", AccountEnabled: false},
		{Line: 3, UserPrincipalName: "la@contoso.example", DisplayName: "LA", UsageLocation: "FR", AccountEnabled: true},
	}
	res, err = f.S.ImportUsers(ctx, f.Admins[allot.RoleUserAdmin], rows, allot.ImportOptions{})
	must(t, err)
	diff(t, "blocking the last Global Administrator", outcomes(res), []importOutcome{
		{Line: 2, Code: allot.EINVALID},
		{Line: 3, Action: allot.ImportCreate},
	})
}

// testUserImportData checks that a CSV import's license changes provision,
// disconnect and reconnect mailboxes and files exactly as assignLicense
// does: a user imported and one assigned the same licenses at the same
// instants end with the same data.
func testUserImportData(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 4)
	api := f.User("api@contoso.example", "FR")
	steps := []struct {
		name string
		skus []string
	}{
		{"licensed", []string{O365E3}},
		{"unlicensed", nil},
		{"licensed again within grace", []string{ExchangePlan1}},
		{"unlicensed again", nil},
	}
	var held []string
	for _, st := range steps {
		f.Clock.Advance(dataDay)
		row := allot.ImportRow{Line: 2, UserPrincipalName: "csv@contoso.example", DisplayName: "CSV", UsageLocation: "FR", AccountEnabled: true, Licenses: st.skus}
		res, err := f.S.ImportUsers(ctx, f.Admin(), []allot.ImportRow{row}, allot.ImportOptions{Atomic: true})
		must(t, err)
		if res[0].Err != nil {
			t.Fatalf("%s: import refused: %v", st.name, res[0].Err)
		}
		var ch allot.LicenseChange
		for _, s := range st.skus {
			ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: s})
		}
		ch.Remove = held
		_, err = f.S.AssignLicenses(ctx, f.Admin(), api.ID, ch)
		must(t, err)
		held = st.skus
		got, want := f.data("csv@contoso.example"), f.data(api.ID)
		got.UserID, got.UserPrincipalName, want.UserID, want.UserPrincipalName = "", "", "", ""
		if !got.Equal(&want) {
			t.Errorf("%s: imported (+) and assigned (-) differ:\n-%+v\n+%+v", st.name, want, got)
		}
		if st.skus != nil && got.Mailbox != allot.MailboxActive || st.skus == nil && got.Mailbox != allot.MailboxDisconnected {
			t.Errorf("%s: mailbox %q", st.name, got.Mailbox)
		}
	}
}
