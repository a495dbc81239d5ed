package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// auditSeen is what the audit tests compare of an event.
type auditSeen struct {
	Action, TargetID, TargetUPN string
}

func seen(events []*allot.AuditEvent) []auditSeen {
	out := []auditSeen{}
	for _, e := range events {
		out = append(out, auditSeen{e.Action, e.TargetID, e.TargetUPN})
	}
	return out
}

// testAuditFilters checks each condition of allot.AuditFilter, alone and
// combined: time range, target (bulk subjects included), initiator,
// category, SKU, and keyset paging.
func testAuditFilters(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 5)
	la, ua := f.Admins[allot.RoleLicenseAdmin], f.Admins[allot.RoleUserAdmin]
	f.Clock.Advance(time.Hour)
	start := f.Clock.Now()
	a := f.User("a@contoso.example", "FR")
	f.Clock.Advance(time.Minute)
	_, err := f.S.AssignLicenses(ctx, la, a.ID, add(O365E3))
	must(t, err)
	f.Clock.Advance(time.Minute)
	mid := f.Clock.Now()
	_, err = f.S.UpdateUser(ctx, ua, a.ID, allot.UserUpdate{DisplayName: ptr("A")})
	must(t, err)
	f.Clock.Advance(time.Minute)
	must(t, f.S.AssignRole(ctx, f.Admin(), a.ID, allot.RoleGlobalReader))
	last := f.Clock.Now()

	tests := []struct {
		name string
		f    allot.AuditFilter
		want []auditSeen
	}{
		{"since", allot.AuditFilter{Since: start}, []auditSeen{
			{allot.AuditRoleAssign, a.ID, "a@contoso.example"}, {allot.AuditUserUpdate, a.ID, "a@contoso.example"},
			{allot.AuditLicenseAdd, a.ID, "a@contoso.example"}, {allot.AuditUserCreate, a.ID, "a@contoso.example"}}},
		{"since and until, inclusive", allot.AuditFilter{Since: start.Add(time.Minute), Until: mid}, []auditSeen{
			{allot.AuditUserUpdate, a.ID, "a@contoso.example"}, {allot.AuditLicenseAdd, a.ID, "a@contoso.example"}}},
		{"until before everything", allot.AuditFilter{Until: start.Add(-2 * time.Hour)}, []auditSeen{}},
		{"initiator", allot.AuditFilter{ActorID: ua.UserID}, []auditSeen{{allot.AuditUserUpdate, a.ID, "a@contoso.example"}}},
		{"category", allot.AuditFilter{Category: allot.AuditCategoryRoles, Since: start}, []auditSeen{{allot.AuditRoleAssign, a.ID, "a@contoso.example"}}},
		{"unknown category", allot.AuditFilter{Category: "Nothing"}, []auditSeen{}},
		{"target and initiator", allot.AuditFilter{UserID: a.ID, ActorID: la.UserID}, []auditSeen{{allot.AuditLicenseAdd, a.ID, "a@contoso.example"}}},
		{"target and SKU", allot.AuditFilter{UserID: a.ID, SKUID: O365E3}, []auditSeen{{allot.AuditLicenseAdd, a.ID, "a@contoso.example"}}},
		{"target at an instant", allot.AuditFilter{UserID: a.ID, Since: last, Until: last}, []auditSeen{{allot.AuditRoleAssign, a.ID, "a@contoso.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.S.FindAuditEvents(ctx, f.Admin(), tt.f)
			must(t, err)
			diff(t, "events", seen(got), tt.want)
		})
	}
	ev, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{ID: 0, Since: start, Limit: 1})
	must(t, err)
	one, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{ID: ev[0].ID})
	must(t, err)
	diff(t, "by id", seen(one), seen(ev))
}

// testAuditVisibility checks who reads the audit log: Global
// Administrators and Global Readers everything, License Administrators the
// license events only, the other roles and plain users nothing.
func testAuditVisibility(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 5)
	u := f.User("u@contoso.example", "FR")
	f.Assign(u.ID, O365E3)
	all, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: u.ID})
	must(t, err)
	diff(t, "a Global Administrator reads all", seen(all), []auditSeen{
		{allot.AuditLicenseAdd, u.ID, "u@contoso.example"}, {allot.AuditUserCreate, u.ID, "u@contoso.example"}})
	tests := []struct {
		name string
		role allot.Role
		f    allot.AuditFilter
		want []auditSeen
		code string
	}{
		{"Global Reader", allot.RoleGlobalReader, allot.AuditFilter{UserID: u.ID}, seen(all), ""},
		{"License Administrator: license events only", allot.RoleLicenseAdmin, allot.AuditFilter{UserID: u.ID}, seen(all[:1]), ""},
		{"License Administrator asking another category", allot.RoleLicenseAdmin, allot.AuditFilter{Category: allot.AuditCategoryRoles}, []auditSeen{}, ""},
		{"User Administrator", allot.RoleUserAdmin, allot.AuditFilter{}, nil, allot.EFORBIDDEN},
		{"Billing Administrator", allot.RoleBillingAdmin, allot.AuditFilter{}, nil, allot.EFORBIDDEN},
		{"License Checker", allot.RoleLicenseChecker, allot.AuditFilter{}, nil, allot.EFORBIDDEN},
		{"no role", "", allot.AuditFilter{}, nil, allot.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := f.Plain
			if tt.role != "" {
				p = f.Admins[tt.role]
			}
			got, err := f.S.FindAuditEvents(ctx, p, tt.f)
			wantCode(t, "read", err, tt.code)
			if tt.code == "" {
				diff(t, "events", seen(got), tt.want)
			}
		})
	}
}

// testAuditPaging pages through the log by keyset, and reads a bulk
// change as one event with its users.
func testAuditPaging(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 5)
	f.Subscribe(O365E5, 200)
	var ids []string
	for i := 0; i < allot.MaxAuditSubjects+5; i++ {
		ids = append(ids, f.User(fmt.Sprintf("p%03d@contoso.example", i), "FR").ID)
	}
	_, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: add(O365E5), AllOrNothing: true})
	must(t, err)
	var pages, total int
	var prev int64
	for cursor := int64(0); ; pages++ {
		page, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{BeforeID: cursor, Limit: 7})
		must(t, err)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if prev != 0 && e.ID >= prev {
				t.Fatalf("event %d after %d: not newest first", e.ID, prev)
			}
			prev = e.ID
		}
		total += len(page)
		cursor = page[len(page)-1].ID
	}
	all, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{Limit: 1000})
	must(t, err)
	diff(t, "paged = all", total, len(all))
	diff(t, "pages", pages, (len(all)+6)/7)
	bulk := all[0]
	diff(t, "the bulk event", []any{bulk.Action, bulk.TargetType, bulk.SKUID, bulk.SubjectCount, len(bulk.Subjects)},
		[]any{allot.AuditLicenseAdd, "users", O365E5, len(ids), allot.MaxAuditSubjects})
	if s := bulk.Subjects[0]; s.UPN == "" || s.UserID == "" || len(s.After) == 0 {
		t.Errorf("a bulk subject lacks its user or its after: %+v", s)
	}
	// Bare: the same events, counted, without names or subjects.
	bare, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{Limit: 1000, Bare: true})
	must(t, err)
	diff(t, "bare = all", len(bare), len(all))
	for i, e := range bare {
		diff(t, "a bare event", []any{e.ID, e.Action, e.TargetID, e.SKUID, e.SubjectCount, e.TargetUPN, e.TargetName, len(e.Subjects)},
			[]any{all[i].ID, all[i].Action, all[i].TargetID, all[i].SKUID, all[i].SubjectCount, "", "", 0})
	}
	mine, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: ids[3], Limit: 1})
	must(t, err)
	diff(t, "one user's part of the bulk change", []any{mine[0].ID, mine[0].TargetID, mine[0].TargetUPN, len(mine[0].Subjects)},
		[]any{bulk.ID, ids[3], "p003@contoso.example", 0})
}
