package allot_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func lics(skus ...string) []allot.License {
	var out []allot.License
	for _, s := range skus {
		out = append(out, allot.License{SKUID: s})
	}
	return out
}

func TestNextUserData(t *testing.T) {
	c := allot.DemoCatalog()
	now := testNow
	later := now.Add(10 * 24 * time.Hour)
	grace := now.Add(allot.MailboxGrace)
	created := now.Add(-100 * 24 * time.Hour)
	active := allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: created, MailboxSince: created, Files: allot.FilesActive, FilesSince: created}
	disconnected := allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxCreatedAt: created, MailboxSince: now, MailboxPurgeAt: grace, Files: allot.FilesActive, FilesSince: created}
	noExchange := allot.License{SKUID: skuE3, DisabledPlans: []string{planExEnt}}
	filesPlan := allot.DataPlan(c, lics(skuE3), allot.DataFiles)
	lostE3 := disconnected // E3 removed: its mailbox and files plans are recorded as lost
	lostE3.MailboxPlanID, lostE3.FilesPlanID = planExEnt, filesPlan
	lostExchange := disconnected
	lostExchange.MailboxPlanID = planExEnt
	retention := 60 * 24 * time.Hour
	tests := []struct {
		name string
		d    allot.UserData
		ev   allot.DataEvent
		want allot.UserData
	}{
		{"first mailbox license provisions", allot.UserData{}, allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuExStd), Now: now},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: now, MailboxSince: now}},
		{"first E3 provisions mailbox and files", allot.UserData{}, allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuE3), Now: now},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: now, MailboxSince: now, Files: allot.FilesActive, FilesSince: now}},
		{"last mailbox license goes: disconnected, files kept", active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), Now: now},
			lostE3},
		{"Exchange disabled in the license: disconnected", active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), After: []allot.License{noExchange}, Now: now},
			lostExchange},
		{"files licensed again: the plan lost forgotten", lostE3, allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuE3), Now: later},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: created, MailboxSince: later, Files: allot.FilesActive, FilesSince: created}},
		{"switch Plan 1 to Plan 2: kept", active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuExStd), After: lics(skuExEnt), Now: now},
			active},
		{"E3 to Business Premium: kept", active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), After: lics(skuPremium), Now: now},
			active},
		{"back within grace: same mailbox reconnected", disconnected, allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuExStd), Now: later},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: created, MailboxSince: later, Files: allot.FilesActive, FilesSince: created}},
		{"back after purge: a new mailbox", allot.UserData{Mailbox: allot.MailboxPurged, MailboxCreatedAt: created, MailboxSince: grace}, allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuExStd), Now: later},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: later, MailboxSince: later}},
		{"state not kept yet, licensed before: disconnected", allot.UserData{}, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuExStd), Now: now},
			allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxSince: now, MailboxPurgeAt: grace, MailboxPlanID: planExStd}},
		{"state not kept yet, still licensed: active", allot.UserData{}, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), After: lics(skuE3, skuArchive), Now: now},
			allot.UserData{Mailbox: allot.MailboxActive, Files: allot.FilesActive}},
		{"a license without data: nothing", allot.UserData{}, allot.DataEvent{Kind: allot.DataLicensesChanged, After: []allot.License{{SKUID: skuExStd, DisabledPlans: []string{planExStd}}}, Now: now},
			allot.UserData{}},
		{"deletion: mailbox in grace, files pending", active, allot.DataEvent{Kind: allot.DataUserDeleted, Before: lics(skuE3), FileRetention: retention, Now: now},
			allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxCreatedAt: created, MailboxSince: now, MailboxPurgeAt: grace, Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: now.Add(retention),
				MailboxPlanID: planExEnt, FilesPlanID: filesPlan}},
		{"deletion of an unlicensed user: files pending, grace kept", disconnected, allot.DataEvent{Kind: allot.DataUserDeleted, FileRetention: retention, Now: later},
			allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxCreatedAt: created, MailboxSince: now, MailboxPurgeAt: grace, Files: allot.FilesPendingDeletion, FilesSince: later, FilesDeleteAt: later.Add(retention)}},
		{"restore: reconnected, files back",
			allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxCreatedAt: created, MailboxSince: now, MailboxPurgeAt: grace, Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: now.Add(retention)},
			allot.DataEvent{Kind: allot.DataUserRestored, After: lics(skuE3), Now: later},
			allot.UserData{Mailbox: allot.MailboxActive, MailboxCreatedAt: created, MailboxSince: later, Files: allot.FilesActive, FilesSince: later}},
		{"grace not over: nothing", disconnected, allot.DataEvent{Kind: allot.DataTimePassed, Now: grace.Add(-time.Microsecond)}, disconnected},
		{"grace over: purged, the plan lost forgotten", lostExchange, allot.DataEvent{Kind: allot.DataTimePassed, Now: grace},
			allot.UserData{Mailbox: allot.MailboxPurged, MailboxCreatedAt: created, MailboxSince: grace, Files: allot.FilesActive, FilesSince: created}},
		{"grace over, held: inactive, the plan lost kept", lostExchange, allot.DataEvent{Kind: allot.DataTimePassed, Held: true, Now: grace},
			allot.UserData{Mailbox: allot.MailboxInactive, MailboxCreatedAt: created, MailboxSince: grace, Files: allot.FilesActive, FilesSince: created, MailboxPlanID: planExEnt}},
		{"inactive, still held: kept", allot.UserData{Mailbox: allot.MailboxInactive, MailboxSince: grace}, allot.DataEvent{Kind: allot.DataTimePassed, Held: true, Now: grace.AddDate(2, 0, 0)},
			allot.UserData{Mailbox: allot.MailboxInactive, MailboxSince: grace}},
		{"inactive, hold released: purged", allot.UserData{Mailbox: allot.MailboxInactive, MailboxSince: grace}, allot.DataEvent{Kind: allot.DataTimePassed, Now: grace.AddDate(2, 0, 0)},
			allot.UserData{Mailbox: allot.MailboxPurged, MailboxSince: grace.AddDate(2, 0, 0)}},
		{"files past retention: deleted", allot.UserData{Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: later}, allot.DataEvent{Kind: allot.DataTimePassed, Now: later},
			allot.UserData{Files: allot.FilesDeleted, FilesSince: later}},
		{"files past retention, held: kept", allot.UserData{Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: later}, allot.DataEvent{Kind: allot.DataTimePassed, Held: true, Now: later.AddDate(1, 0, 0)},
			allot.UserData{Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: later}},
		{"files held past retention, hold released: deleted", allot.UserData{Files: allot.FilesPendingDeletion, FilesSince: now, FilesDeleteAt: later}, allot.DataEvent{Kind: allot.DataTimePassed, Now: later.AddDate(1, 0, 0)},
			allot.UserData{Files: allot.FilesDeleted, FilesSince: later.AddDate(1, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allot.NextUserData(c, tt.d, tt.ev)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NextUserData (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestUserDataDueAt(t *testing.T) {
	t1, t2 := testNow, testNow.Add(time.Hour)
	tests := []struct {
		name string
		d    allot.UserData
		want time.Time
	}{
		{"active", allot.UserData{Mailbox: allot.MailboxActive, Files: allot.FilesActive}, time.Time{}},
		{"disconnected", allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxPurgeAt: t2}, t2},
		{"inactive: always due", allot.UserData{Mailbox: allot.MailboxInactive, MailboxSince: t1}, t1},
		{"the earliest of two", allot.UserData{Mailbox: allot.MailboxDisconnected, MailboxPurgeAt: t2, Files: allot.FilesPendingDeletion, FilesDeleteAt: t1}, t1},
		{"files pending: due at their deletion, and after it while held", allot.UserData{Files: allot.FilesPendingDeletion, FilesDeleteAt: t1}, t1},
	}
	for _, tt := range tests {
		if got := tt.d.DueAt(); !got.Equal(tt.want) {
			t.Errorf("%s: DueAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSearchable(t *testing.T) {
	tests := []struct {
		state      allot.MailboxState
		held, want bool
	}{
		{allot.MailboxActive, false, true},
		{allot.MailboxDisconnected, false, false},
		{allot.MailboxDisconnected, true, true},
		{allot.MailboxInactive, true, true},
		{allot.MailboxPurged, true, false},
		{allot.MailboxNone, true, false},
	}
	for _, tt := range tests {
		d := allot.UserData{Mailbox: tt.state}
		if got := d.Searchable(tt.held); got != tt.want {
			t.Errorf("Searchable(%q, held %v) = %v, want %v", tt.state, tt.held, got, tt.want)
		}
	}
}

func TestImpactText(t *testing.T) {
	c := allot.DemoCatalog()
	active := allot.UserData{Mailbox: allot.MailboxActive, Files: allot.FilesActive}
	unassign := allot.NextUserData(c, active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), Now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)})
	deleted := allot.NextUserData(c, active, allot.DataEvent{Kind: allot.DataUserDeleted, Before: lics(skuE3), FileRetention: 30 * 24 * time.Hour, Now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)})
	tests := []struct {
		name          string
		before, after allot.UserData
		held          bool
		want          string
	}{
		{"unassign", active, unassign, false, "mailbox disconnected now, purged on 2026-12-29 unless a license with a mailbox comes back; files kept; not searchable from now"},
		{"unassign held", active, unassign, true, "mailbox disconnected now, kept as an inactive mailbox from 2026-12-29 while held; files kept; still searchable"},
		{"delete", active, deleted, false, "mailbox disconnected now, purged on 2026-12-29 unless a license with a mailbox comes back; files deleted on 2026-12-29 unless the user is restored; not searchable from now"},
		{"reconnect", unassign, active, false, "mailbox reconnected; files kept; searchable from now"},
		{"delete held", active, deleted, true, "mailbox disconnected now, kept as an inactive mailbox from 2026-12-29 while held; files kept while held, deleted from 2026-12-29 once released unless the user is restored; still searchable"},
		{"held, still disconnected", unassign, unassign, true, "mailbox still disconnected, kept as an inactive mailbox from 2026-12-29 while held; files kept; still searchable"},
		{"nothing", allot.UserData{}, allot.UserData{}, false, "no mailbox; no files"},
	}
	for _, tt := range tests {
		im := allot.Impact(tt.before, tt.after, tt.held)
		if got := im.String(); got != tt.want {
			t.Errorf("%s:\n-%s\n+%s", tt.name, tt.want, got)
		}
	}
}

func TestSummarize(t *testing.T) {
	c := allot.DemoCatalog()
	active := allot.UserData{Mailbox: allot.MailboxActive, Files: allot.FilesActive}
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	off := allot.NextUserData(c, active, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), Now: at})
	ims := []allot.DataImpact{allot.Impact(active, off, false), allot.Impact(active, off, true), allot.Impact(active, active, false), allot.Impact(allot.UserData{}, active, false)}
	got := allot.Summarize(ims)
	want := allot.ImpactSummary{Users: 3, MailboxesProvisioned: 1, MailboxesDisconnected: 2, Held: 1, NoLongerSearchable: 1, FirstPurge: at.Add(allot.MailboxGrace)}
	if got != want {
		t.Errorf("Summarize (-want +got):\n-%+v\n+%+v", want, got)
	}
	if s, w := got.String(), "3 users: 1 mailboxes provisioned; 2 mailboxes disconnected (1 held), first purge on 2026-12-29; 1 mailboxes no longer searchable"; s != w {
		t.Errorf("String:\n-%s\n+%s", w, s)
	}
}

func TestSummarizeHeldFiles(t *testing.T) {
	c := allot.DemoCatalog()
	active := allot.UserData{Mailbox: allot.MailboxActive, Files: allot.FilesActive}
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	del := allot.NextUserData(c, active, allot.DataEvent{Kind: allot.DataUserDeleted, Before: lics(skuE3), FileRetention: 30 * 24 * time.Hour, Now: at})
	got := allot.Summarize([]allot.DataImpact{allot.Impact(active, del, true), allot.Impact(active, del, false)})
	want := allot.ImpactSummary{Users: 2, MailboxesDisconnected: 2, Held: 1, FilesScheduled: 2, FilesHeld: 1, NoLongerSearchable: 1, FirstPurge: at.Add(allot.MailboxGrace)}
	if got != want {
		t.Errorf("Summarize (-want +got):\n-%+v\n+%+v", want, got)
	}
	if s, w := got.String(), "2 users: 2 mailboxes disconnected (1 held), first purge on 2026-12-29; 2 users' files to be deleted after retention; 1 users' files kept past it while held; 1 mailboxes no longer searchable"; s != w {
		t.Errorf("String:\n-%s\n+%s", w, s)
	}
}

func TestHoldValidate(t *testing.T) {
	long := string(make([]byte, 257))
	tests := []struct {
		name  string
		h     allot.Hold
		field string
	}{
		{"ok", allot.Hold{UserID: " u@x.example ", Name: " Case 42 "}, ""},
		{"no user", allot.Hold{Name: "Case"}, "user"},
		{"no name", allot.Hold{UserID: "u"}, "name"},
		{"long name", allot.Hold{UserID: "u", Name: long}, "name"},
	}
	for _, tt := range tests {
		err := tt.h.Validate()
		var field string
		if e, ok := err.(*allot.Error); ok {
			field = e.Field
		}
		if field != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: Validate = %v, want field %q", tt.name, err, tt.field)
		}
	}
	h := allot.Hold{UserID: " u@x.example ", Name: " Case 42 "}
	_ = h.Validate()
	if h.UserID != "u@x.example" || h.Name != "Case 42" {
		t.Errorf("Validate did not trim: %+v", h)
	}
}

func TestDataEventMayChange(t *testing.T) {
	c := allot.DemoCatalog()
	tests := []struct {
		name string
		ev   allot.DataEvent
		want bool
	}{
		{"first mailbox", allot.DataEvent{Kind: allot.DataLicensesChanged, After: lics(skuExStd)}, true},
		{"last mailbox goes", allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuExStd)}, true},
		{"switch mailbox plans", allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuExStd), After: lics(skuExEnt)}, false},
		{"files added", allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuExStd), After: lics(skuE3)}, true},
		{"files removed: the files plan lost is recorded", allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), After: lics(skuExEnt)}, true},
		{"files kept", allot.DataEvent{Kind: allot.DataLicensesChanged, Before: lics(skuE3), After: lics(skuE3, skuArchive)}, false},
		{"deletion", allot.DataEvent{Kind: allot.DataUserDeleted}, true},
		{"time", allot.DataEvent{Kind: allot.DataTimePassed}, true},
	}
	for _, tt := range tests {
		if got := tt.ev.MayChange(c); got != tt.want {
			t.Errorf("%s: MayChange = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDataOrderMatters(t *testing.T) {
	c := allot.DemoCatalog()
	disabled := lics(skuExStd)
	disabled[0].DisabledPlans = []string{planExStd}
	remove := func(skus ...string) allot.LicenseChange { return allot.LicenseChange{Remove: skus} }
	tests := []struct {
		name string
		ls   []allot.License
		ch   allot.LicenseChange
		want bool
	}{
		{"none", nil, remove(skuExStd), false},
		{"a mailbox and files in one license", lics(skuE3), remove(skuE3), false},
		{"a mailbox, and a SKU outside the catalog", append(lics(skuExStd), allot.License{SKUID: skuUnknown}), remove(skuExStd, skuUnknown), false},
		{"two mailbox plans, both removed", lics(skuExStd, skuExEnt), remove(skuExStd, skuExEnt), true},
		{"two mailbox plans, one kept", lics(skuExStd, skuExEnt), remove(skuExStd), false},
		{"two mailbox plans, one changed and one removed", lics(skuExStd, skuExEnt),
			allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExEnt, DisabledPlans: []string{planExEnt}}}, Remove: []string{skuExStd}}, true},
		{"two mailbox plans, one disabled", append(disabled, lics(skuExEnt)...), remove(skuExStd, skuExEnt), false},
		{"the archive add-on holds a mailbox too", lics(skuE3, skuArchive), remove(skuE3, skuArchive), true},
		{"two licenses of one mailbox plan", lics(skuE3, skuExEnt), remove(skuE3, skuExEnt), false},
	}
	for _, tt := range tests {
		if got := allot.DataOrderMatters(c, tt.ls, tt.ch); got != tt.want {
			t.Errorf("%s: DataOrderMatters = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidateFileRetention(t *testing.T) {
	tests := []struct {
		days int
		ok   bool
	}{{29, false}, {30, true}, {365, true}, {3650, true}, {3651, false}, {-1, false}}
	for _, tt := range tests {
		err := allot.ValidateFileRetention(tt.days)
		if (err == nil) != tt.ok || (err != nil && allot.ErrorCode(err) != allot.EINVALID) {
			t.Errorf("ValidateFileRetention(%d) = %v, want ok %v", tt.days, err, tt.ok)
		}
	}
}

// TestDataPlan checks the data plans of licenses: the first enabled plan
// of each kind, in the licenses' order, passing over disabled plans and
// SKUs the catalog does not know.
func TestDataPlan(t *testing.T) {
	c := allot.DemoCatalog()
	filesE3 := allot.DataPlan(c, lics(skuE3), allot.DataFiles)
	if filesE3 == "" {
		t.Fatal("E3 holds no files plan")
	}
	noExchange := allot.License{SKUID: skuE3, DisabledPlans: []string{planExEnt}}
	tests := []struct {
		name           string
		ls             []allot.License
		mailbox, files string
	}{
		{"none", nil, "", ""},
		{"a SKU the catalog does not know", lics("00000000-0000-4000-8000-000000000000"), "", ""},
		{"its only data plan disabled", []allot.License{{SKUID: skuExStd, DisabledPlans: []string{planExStd}}}, "", ""},
		{"E3: its mailbox and its files", lics(skuE3), planExEnt, filesE3},
		{"E3, its mailbox disabled: its files only", []allot.License{noExchange}, "", filesE3},
		{"the mailbox disabled in the first license, taken from the next", []allot.License{noExchange, {SKUID: skuExStd}}, planExStd, filesE3},
		{"the first license's plan when two carry one", lics(skuExStd, skuE3), planExStd, filesE3},
		{"the other order", lics(skuE3, skuExStd), planExEnt, filesE3},
	}
	for _, tt := range tests {
		m, f := allot.DataPlan(c, tt.ls, allot.DataMailbox), allot.DataPlan(c, tt.ls, allot.DataFiles)
		if m != tt.mailbox || f != tt.files {
			t.Errorf("%s: mailbox plan %q, files plan %q; want %q, %q", tt.name, m, f, tt.mailbox, tt.files)
		}
		if allot.HasData(c, tt.ls, allot.DataMailbox) != (tt.mailbox != "") || allot.HasData(c, tt.ls, allot.DataFiles) != (tt.files != "") {
			t.Errorf("%s: HasData disagrees with DataPlan", tt.name)
		}
	}
}
