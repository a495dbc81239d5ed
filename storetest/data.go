package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// dataDay is one day of the data lifecycle tests.
const dataDay = 24 * time.Hour

// data returns the user's recorded data state, failing the test on error.
func (f *Fixture) data(id string) allot.UserData {
	f.T.Helper()
	d, err := f.S.FindUserData(f.ctx, f.Sys, id)
	must(f.T, err)
	return *d
}

// expire runs the data lifecycle step at the clock's time.
func (f *Fixture) expire() int {
	f.T.Helper()
	n, err := f.S.ExpireUserData(f.ctx, f.Clock.Now())
	must(f.T, err)
	return n
}

func wantMailbox(t *testing.T, what string, d allot.UserData, state allot.MailboxState, purgeAt time.Time) {
	t.Helper()
	if d.Mailbox != state || !d.MailboxPurgeAt.Equal(purgeAt) {
		t.Errorf("%s: mailbox %q purged at %v, want %q at %v", what, d.Mailbox, d.MailboxPurgeAt, state, purgeAt)
	}
}

// testMailboxLifecycle follows one mailbox through every transition:
// provisioned, disconnected, reconnected within grace (the same mailbox),
// kept across a switch of mailbox plans, purged when grace ends and not a
// moment before, and provisioned anew the day after.
func testMailboxLifecycle(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := f.User("mb@contoso.example", "FR")
	wantMailbox(t, "never licensed", f.data(u.ID), allot.MailboxNone, time.Time{})
	created := f.Clock.Now()
	f.Assign(u.ID, O365E3)
	d := f.data(u.ID)
	wantMailbox(t, "E3 assigned", d, allot.MailboxActive, time.Time{})
	diff(t, "provisioned at", d.MailboxCreatedAt, created)
	diff(t, "files provisioned", d.Files, allot.FilesActive)

	// E3 to Business Premium in one change, then Plan 1 <-> Plan 2: kept.
	_, err := f.S.AssignLicenses(ctx, f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: BusinessPremium}}, Remove: []string{O365E3}})
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan1}}, Remove: []string{BusinessPremium}})
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan2}}, Remove: []string{ExchangePlan1}})
	must(t, err)
	d = f.data(u.ID)
	wantMailbox(t, "after switches", d, allot.MailboxActive, time.Time{})
	diff(t, "same mailbox after switches", d.MailboxSince, created)
	diff(t, "files kept without a files license", d.Files, allot.FilesActive)
	diff(t, "the files plan lost recorded", d.FilesPlanID, allot.DataPlan(f.S.Catalog(), []allot.License{{SKUID: BusinessPremium}}, allot.DataFiles))

	f.Clock.Advance(dataDay)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, remove(ExchangePlan2))
	must(t, err)
	grace := f.Clock.Now().Add(allot.MailboxGrace)
	wantMailbox(t, "last mailbox license removed", f.data(u.ID), allot.MailboxDisconnected, grace)
	diff(t, "the mailbox plan lost recorded", f.data(u.ID).MailboxPlanID, allot.DataPlan(f.S.Catalog(), []allot.License{{SKUID: ExchangePlan2}}, allot.DataMailbox))

	f.Clock.Advance(29 * dataDay)
	f.Assign(u.ID, ExchangePlan1)
	d = f.data(u.ID)
	wantMailbox(t, "reconnected within grace", d, allot.MailboxActive, time.Time{})
	diff(t, "no mailbox plan lost once reconnected", d.MailboxPlanID, "")
	diff(t, "the same mailbox", d.MailboxCreatedAt, created)

	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, remove(ExchangePlan1))
	must(t, err)
	grace = f.Clock.Now().Add(allot.MailboxGrace)
	f.Clock.Advance(allot.MailboxGrace - time.Second)
	diff(t, "expired a second before grace ends", f.expire(), 0)
	wantMailbox(t, "a second before grace ends", f.data(u.ID), allot.MailboxDisconnected, grace)
	f.Clock.Advance(time.Second)
	diff(t, "expired when grace ends", f.expire(), 1)
	wantMailbox(t, "grace over", f.data(u.ID), allot.MailboxPurged, time.Time{})
	diff(t, "expired again", f.expire(), 0)

	f.Clock.Advance(dataDay)
	again := f.Clock.Now()
	f.Assign(u.ID, ExchangePlan1)
	d = f.data(u.ID)
	wantMailbox(t, "licensed the day after grace", d, allot.MailboxActive, time.Time{})
	diff(t, "a new mailbox", d.MailboxCreatedAt, again)

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: u.ID})
	must(t, err)
	n := 0
	for _, e := range events {
		if e.Action == allot.AuditDataUpdate {
			n++
		}
	}
	diff(t, "the lifecycle's purge audited as a data change", n, 1)
}

// testHolds places holds before and after a license removal and after the
// purge, and checks who may manage them and what content search reaches.
func testHolds(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 4)
	before := f.User("before@contoso.example", "FR")
	after := f.User("after@contoso.example", "FR")
	late := f.User("late@contoso.example", "FR")
	kept := f.User("kept@contoso.example", "FR")
	for _, u := range []*allot.User{before, after, late, kept} {
		f.Assign(u.ID, O365E3)
	}
	for r, p := range f.Admins {
		if r == allot.RoleGlobalAdmin {
			continue
		}
		wantCode(t, string(r)+" placing a hold", f.S.CreateHold(ctx, p, &allot.Hold{UserID: before.ID, Name: "Case"}), allot.EFORBIDDEN)
		_, err := f.S.FindHolds(ctx, p, allot.HoldFilter{})
		wantCode(t, string(r)+" listing holds", err, allot.EFORBIDDEN)
		_, _, err = f.S.FindSearchableMailboxes(ctx, p, allot.MailboxFilter{})
		wantCode(t, string(r)+" searching", err, allot.EFORBIDDEN)
	}
	_, _, err := f.S.FindSearchableMailboxes(ctx, f.Admin(), allot.MailboxFilter{Limit: allot.MaxPage + 1})
	wantCode(t, "a page too large", err, allot.EINVALID)
	wantCode(t, "hold without a name", f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: before.ID}), allot.EINVALID)
	wantCode(t, "hold on nobody", f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: "nobody@contoso.example", Name: "Case"}), allot.ENOTFOUND)

	h1 := &allot.Hold{UserID: before.UserPrincipalName, Name: "Case 1"}
	must(t, f.S.CreateHold(ctx, f.Admin(), h1))
	diff(t, "hold names the user by id", h1.UserID, before.ID)
	for _, u := range []*allot.User{before, after, late} {
		_, err := f.S.AssignLicenses(ctx, f.Admin(), u.ID, remove(O365E3))
		must(t, err)
	}
	h2 := &allot.Hold{UserID: after.ID, Name: "Case 2"}
	must(t, f.S.CreateHold(ctx, f.Admin(), h2))
	wantSearchable(t, f, []string{after.ID, before.ID, kept.ID}, "in grace: held and licensed ones, not the unheld one")
	wantCheckedMailbox(t, f, before.ID, allot.MailboxInactive, "held in grace")
	wantCheckedMailbox(t, f, after.ID, allot.MailboxInactive, "held after removal, in grace")
	wantCheckedMailbox(t, f, late.ID, allot.MailboxDisconnected, "unheld in grace")

	f.Clock.Advance(allot.MailboxGrace)
	diff(t, "expired at the end of grace", f.expire(), 3)
	wantMailbox(t, "held before removal", f.data(before.ID), allot.MailboxInactive, time.Time{})
	wantMailbox(t, "held after removal", f.data(after.ID), allot.MailboxInactive, time.Time{})
	wantMailbox(t, "not held", f.data(late.ID), allot.MailboxPurged, time.Time{})
	must(t, f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: late.ID, Name: "Too late"}))
	f.Clock.Advance(365 * dataDay)
	diff(t, "a year later", f.expire(), 0)
	wantMailbox(t, "held a year later", f.data(before.ID), allot.MailboxInactive, time.Time{})
	wantMailbox(t, "a hold after the purge brings nothing back", f.data(late.ID), allot.MailboxPurged, time.Time{})
	wantSearchable(t, f, []string{after.ID, before.ID, kept.ID}, "inactive held mailboxes")

	released, err := f.S.ReleaseHold(ctx, f.Admin(), h1.ID)
	must(t, err)
	diff(t, "released at", released.ReleasedAt, f.Clock.Now())
	_, err = f.S.ReleaseHold(ctx, f.Admin(), h1.ID)
	wantCode(t, "released twice", err, allot.ECONFLICT)
	_, err = f.S.ReleaseHold(ctx, f.Admin(), "00000000-0000-4000-8000-000000000000")
	wantCode(t, "unknown hold", err, allot.ENOTFOUND)
	diff(t, "expired after release", f.expire(), 1)
	wantMailbox(t, "released", f.data(before.ID), allot.MailboxPurged, time.Time{})
	wantMailbox(t, "still held", f.data(after.ID), allot.MailboxInactive, time.Time{})

	active, err := f.S.FindHolds(ctx, f.Admin(), allot.HoldFilter{})
	must(t, err)
	diff(t, "active holds", len(active), 2)
	all, err := f.S.FindHolds(ctx, f.Admin(), allot.HoldFilter{IncludeReleased: true, User: before.ID})
	must(t, err)
	diff(t, "holds of one user, released included", len(all), 1)
}

// wantCheckedMailbox fails unless both of the store's entitlement reads
// give the user's mailbox the state a license check names
// (allot.CheckedMailbox).
func wantCheckedMailbox(t *testing.T, f *Fixture, id string, want allot.MailboxState, what string) {
	t.Helper()
	ents, err := f.S.FindEntitlements(f.ctx, f.Tenant.ID, []string{id})
	must(t, err)
	if len(ents) != 1 || ents[0].Mailbox != want || !ents[0].MailboxKnown {
		t.Errorf("%s: FindEntitlements gives %+v, want mailbox %q", what, ents, want)
	}
	var scanned allot.MailboxState
	must(t, f.S.ScanEntitlements(f.ctx, f.Tenant.ID, func(e *allot.Entitlement) error {
		if e.UserID == id {
			scanned = e.Mailbox
		}
		return nil
	}))
	diff(t, what+": ScanEntitlements' mailbox", scanned, want)
}

func wantSearchable(t *testing.T, f *Fixture, ids []string, what string) {
	t.Helper()
	// Read in pages of two, which must follow each other in id order.
	var ms []*allot.SearchableMailbox
	for after, more := "", true; more; {
		var page []*allot.SearchableMailbox
		var err error
		page, more, err = f.S.FindSearchableMailboxes(f.ctx, f.Admin(), allot.MailboxFilter{After: after, Limit: 2})
		must(t, err)
		if len(page) > 2 || more && len(page) == 0 {
			t.Fatalf("%s: a page of %d mailboxes, more %v", what, len(page), more)
		}
		ms = append(ms, page...)
		if len(page) > 0 {
			after = page[len(page)-1].UserID
		}
	}
	got := map[string]bool{}
	for i, m := range ms {
		if i > 0 && ms[i-1].UserID >= m.UserID {
			t.Errorf("%s: mailbox %s after %s: not in id order", what, m.UserID, ms[i-1].UserID)
		}
		got[m.UserID] = true
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("%s: %s not searchable", what, id)
		}
		delete(got, id)
	}
	for id := range got {
		if id != f.Admin().UserID {
			t.Errorf("%s: %s searchable", what, id)
		}
	}
}

// testDeletedUserData deletes held and unheld users and restores one:
// files wait for the tenant's retention, a restore brings them and the
// mailbox back, and a held mailbox and held files outlive their user's
// purge and the retention until the hold is released.
func testDeletedUserData(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 3)
	held := f.User("held@contoso.example", "FR")
	gone := f.User("gone@contoso.example", "FR")
	back := f.User("back@contoso.example", "FR")
	for _, u := range []*allot.User{held, gone, back} {
		f.Assign(u.ID, O365E3)
	}
	must(t, f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: held.ID, Name: "Case"}))
	for _, u := range []*allot.User{held, gone, back} {
		must(t, f.S.DeleteUser(ctx, f.Admin(), u.ID))
	}
	deletedAt := f.Clock.Now()
	d := f.data(gone.ID)
	wantMailbox(t, "deleted", d, allot.MailboxDisconnected, deletedAt.Add(allot.MailboxGrace))
	diff(t, "files pending", d.Files, allot.FilesPendingDeletion)
	diff(t, "files deleted after the default retention", d.FilesDeleteAt, deletedAt.Add(allot.DefaultFileRetentionDays*dataDay))

	f.Clock.Advance(10 * dataDay)
	_, err := f.S.RestoreUser(ctx, f.Admin(), back.ID)
	must(t, err)
	d = f.data(back.ID)
	wantMailbox(t, "restored", d, allot.MailboxActive, time.Time{})
	diff(t, "restored files", d.Files, allot.FilesActive)

	f.Clock.Advance(20*dataDay + time.Second)
	_, err = f.S.PurgeDeletedUsers(ctx, f.Clock.Now())
	must(t, err)
	diff(t, "expired after 30 days", f.expire(), 2)
	d = f.data(held.ID)
	wantMailbox(t, "held, user purged", d, allot.MailboxInactive, time.Time{})
	diff(t, "held user's files kept past the retention", d.Files, allot.FilesPendingDeletion)
	diff(t, "held user's name kept", d.UserPrincipalName, held.UserPrincipalName)
	d = f.data(gone.ID)
	wantMailbox(t, "unheld, user purged", d, allot.MailboxPurged, time.Time{})
	diff(t, "unheld user's files deleted", d.Files, allot.FilesDeleted)
	wantSearchable(t, f, []string{held.ID, back.ID}, "after the purge")
	_, err = f.S.FindUser(ctx, f.Sys, held.ID)
	wantCode(t, "held user purged", err, allot.ENOTFOUND)

	f.Clock.Advance(365 * dataDay)
	diff(t, "a year later, still held", f.expire(), 0)
	diff(t, "held user's files a year later", f.data(held.ID).Files, allot.FilesPendingDeletion)
	holds, err := f.S.FindHolds(ctx, f.Admin(), allot.HoldFilter{User: held.ID})
	must(t, err)
	for _, h := range holds {
		_, err := f.S.ReleaseHold(ctx, f.Admin(), h.ID)
		must(t, err)
	}
	diff(t, "expired once released", f.expire(), 1)
	d = f.data(held.ID)
	wantMailbox(t, "released", d, allot.MailboxPurged, time.Time{})
	diff(t, "released user's files deleted", d.Files, allot.FilesDeleted)
}

// testFileRetention sets the tenant's file retention and checks who may,
// its bounds, and that a deletion afterwards keeps the files that long.
func testFileRetention(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	days, err := f.S.FileRetentionDays(ctx, f.Admins[allot.RoleGlobalReader])
	must(t, err)
	diff(t, "default retention", days, allot.DefaultFileRetentionDays)
	wantCode(t, "License Administrator setting it", f.S.SetFileRetentionDays(ctx, f.Admins[allot.RoleLicenseAdmin], 90), allot.EFORBIDDEN)
	_, err = f.S.FileRetentionDays(ctx, f.Plain)
	wantCode(t, "an ordinary user reading it", err, allot.EFORBIDDEN)
	for _, bad := range []int{29, 3651} {
		wantFields(t, "out of bounds", f.S.SetFileRetentionDays(ctx, f.Admin(), bad),
			&allot.Error{Code: allot.EINVALID, Field: "fileRetentionDays", Value: fmt.Sprint(bad), Limit: allot.MaxFileRetentionDays})
	}
	must(t, f.S.SetFileRetentionDays(ctx, f.Admin(), 90))
	days, err = f.S.FileRetentionDays(ctx, f.Admin())
	must(t, err)
	diff(t, "retention set", days, 90)
	u := f.User("files@contoso.example", "FR")
	f.Assign(u.ID, O365E3)
	must(t, f.S.DeleteUser(ctx, f.Admin(), u.ID))
	d := f.data(u.ID)
	diff(t, "files deleted after 90 days", d.FilesDeleteAt, f.Clock.Now().Add(90*dataDay))
	f.Clock.Advance(89 * dataDay)
	f.expire()
	diff(t, "files on day 89", f.data(u.ID).Files, allot.FilesPendingDeletion)
	f.Clock.Advance(dataDay)
	f.expire()
	diff(t, "files on day 90", f.data(u.ID).Files, allot.FilesDeleted)
}

// testSearchablePages reads the searchable mailboxes of a tenant larger
// than the store's chunk in pages of seven and in one page: the same
// mailboxes, once each, in id order, held deleted users among them.
func testSearchablePages(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 260)
	var users []*allot.User
	for i := range 250 {
		u := f.User(fmt.Sprintf("m%03d@contoso.example", i), "FR")
		if i%5 != 4 { // every fifth user has no license, so no mailbox
			f.Assign(u.ID, O365E3)
		}
		users = append(users, u)
	}
	for _, u := range users[:40:40] {
		if u.UserPrincipalName[3]%3 == 0 { // some held, licensed or not, then deleted
			must(t, f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: u.ID, Name: "Case"}))
			must(t, f.S.DeleteUser(ctx, f.Admin(), u.ID))
		}
	}
	whole, more, err := f.S.FindSearchableMailboxes(ctx, f.Admin(), allot.MailboxFilter{Limit: allot.MaxPage})
	must(t, err)
	if more || len(whole) < 150 {
		t.Fatalf("one page: %d mailboxes, more %v", len(whole), more)
	}
	var paged []*allot.SearchableMailbox
	for after, more := "", true; more; {
		var page []*allot.SearchableMailbox
		page, more, err = f.S.FindSearchableMailboxes(ctx, f.Admin(), allot.MailboxFilter{After: after, Limit: 7})
		must(t, err)
		paged = append(paged, page...)
		if len(page) > 0 {
			after = page[len(page)-1].UserID
		}
	}
	diff(t, "pages of seven = one page", paged, whole)
}
