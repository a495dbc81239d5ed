package index

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestProfileRecord writes profiles as a change carries them and as a
// table scan reads them, and checks that both give the same record and
// that reading it back gives the user's fields: the userPrincipalName in
// its case (kept only when it is not the lower case the entry holds),
// empty names, names in any script and of the longest length, and a
// creation time to the microsecond or none.
func TestProfileRecord(t *testing.T) {
	created := time.Date(2026, 11, 30, 15, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name string
		upn  string
		p    allot.UserProfile
	}{
		{"lower case UPN", "ada@contoso.example", allot.UserProfile{DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace", JobTitle: "Analyst", CreatedAt: created}},
		{"UPN in its case", "Ada.Lovelace@Contoso.example", allot.UserProfile{DisplayName: "Ada", CreatedAt: created}},
		{"no names, no time", "x@contoso.example", allot.UserProfile{DisplayName: "x"}},
		{"any script", "zoë@contoso.example", allot.UserProfile{DisplayName: "Zoë Ørsted 山田", GivenName: "Zoë", Surname: "Ørsted", JobTitle: "Ingénieure", CreatedAt: created}},
		{"longest names", "long@contoso.example", allot.UserProfile{DisplayName: strings.Repeat("é", 256), JobTitle: strings.Repeat("j", 300), CreatedAt: time.UnixMicro(1).UTC()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := strings.ToLower(tt.upn)
			e := &allot.Entitlement{UserPrincipalName: tt.upn, Profile: &tt.p}
			rec := stageProfile(e, lower)
			row := appendProfile([]byte("before"), []byte(tt.upn), []byte(lower), []byte(tt.p.DisplayName), []byte(tt.p.GivenName), []byte(tt.p.Surname), []byte(tt.p.JobTitle), tt.p.CreatedAt)
			if !bytes.Equal(row[len("before"):], rec) {
				t.Errorf("record from a table scan -change +scan\n-%q\n+%q", rec, row[len("before"):])
			}
			if recordLen(rec) != len(rec) {
				t.Errorf("recordLen = %d, want %d", recordLen(rec), len(rec))
			}
			var u allot.User
			readProfile(append(rec, "after"...)[:len(rec)], []byte(lower), &u)
			want := allot.User{UserPrincipalName: tt.upn, DisplayName: tt.p.DisplayName, GivenName: tt.p.GivenName, Surname: tt.p.Surname,
				JobTitle: tt.p.JobTitle, CreatedAt: tt.p.CreatedAt}
			if u.UserPrincipalName != want.UserPrincipalName || u.DisplayName != want.DisplayName || u.GivenName != want.GivenName ||
				u.Surname != want.Surname || u.JobTitle != want.JobTitle || !u.CreatedAt.Equal(want.CreatedAt) || u.CreatedAt.Location() != time.UTC {
				t.Errorf("read back -want +got\n-%+v\n+%+v", want, u)
			}
			if tt.upn == lower && bytes.Contains(rec, []byte(tt.upn)) {
				t.Errorf("record %q holds the lower-case UPN the entry keeps", rec)
			}
		})
	}
	if stageProfile(&allot.Entitlement{UserPrincipalName: "a@b.example"}, "a@b.example") != nil {
		t.Error("an entitlement without a profile staged a record")
	}
}
