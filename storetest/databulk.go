package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testBulkDataPreview runs bulk changes as a dry run and then for real,
// and checks that the dry run said, user by user, what the change then did
// to their data (and changed nothing itself), with a summary made by
// allot.Summarize.
func testBulkDataPreview(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 10)
	plain := f.User("bulk-plain@contoso.example", "FR")
	held := f.User("bulk-held@contoso.example", "FR")
	exo := f.User("bulk-exo@contoso.example", "FR")
	none := f.User("bulk-none@contoso.example", "FR")
	f.Assign(plain.ID, O365E3)
	f.Assign(held.ID, O365E3)
	f.Assign(exo.ID, ExchangePlan1)
	must(t, f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: held.ID, Name: "Case"}))
	// Exchange Plan 2 has 3 seats: exo, last, is refused one in the second
	// change, and its data stays as it is.
	users := []string{plain.UserPrincipalName, held.ID, none.ID, exo.ID, "nobody@contoso.example"}
	tests := []struct {
		name string
		ch   allot.LicenseChange
		want allot.ImpactSummary
		text map[string]string // user id -> the impact's words; absent: no data change
	}{
		{"unassign E3", remove(O365E3),
			allot.ImpactSummary{Users: 2, MailboxesDisconnected: 2, Held: 1, NoLongerSearchable: 1, FirstPurge: f.Clock.Now().Add(allot.MailboxGrace)},
			map[string]string{plain.ID: "mailbox disconnected now, purged on " + dayAfter(f, allot.MailboxGrace) + " unless a license with a mailbox comes back; files kept; not searchable from now",
				held.ID: "mailbox disconnected now, kept as an inactive mailbox from " + dayAfter(f, allot.MailboxGrace) + " while held; files kept; still searchable"}},
		{"assign Exchange Plan 2", allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan2}}},
			allot.ImpactSummary{Users: 3, MailboxesProvisioned: 1, MailboxesReconnected: 2},
			map[string]string{plain.ID: "mailbox reconnected; files kept; searchable from now", held.ID: "mailbox reconnected; files kept; still searchable",
				none.ID: "mailbox provisioned; no files; searchable from now"}},
	}
	for _, tt := range tests {
		before := map[string]allot.UserData{}
		for _, id := range []string{plain.ID, held.ID, exo.ID, none.ID} {
			before[id] = f.data(id)
		}
		dry, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: users, Change: tt.ch, SkipUnchanged: true, DryRun: true})
		must(t, err)
		for id, d := range before {
			if got := f.data(id); !got.Equal(&d) {
				t.Errorf("%s: the dry run changed %s's data:\n-%+v\n+%+v", tt.name, id, d, got)
			}
		}
		_, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: users, Change: tt.ch, SkipUnchanged: true})
		must(t, err)
		var impacts []allot.DataImpact
		text := map[string]string{}
		for _, r := range dry {
			if r.Data == nil {
				if r.UserID != "" {
					if got, was := f.data(r.UserID), before[r.UserID]; !got.Equal(&was) {
						t.Errorf("%s: %s's data changed (+) though the dry run said nothing (-):\n-%+v\n+%+v", tt.name, r.User, was, got)
					}
				}
				continue
			}
			impacts, text[r.UserID] = append(impacts, *r.Data), r.Data.String()
			if got := f.data(r.UserID); !got.Equal(&r.Data.After) {
				t.Errorf("%s: the dry run said (-) and the change did (+) for %s:\n-%+v\n+%+v", tt.name, r.User, r.Data.After, got)
			}
		}
		diff(t, tt.name+": impacts", text, tt.text)
		diff(t, tt.name+": summary", allot.Summarize(impacts), tt.want)
	}
}

// dayAfter is the date, as impacts word it, of the fixture's clock plus d.
func dayAfter(f *Fixture, d time.Duration) string {
	return f.Clock.Now().Add(d).UTC().Format("2006-01-02")
}
