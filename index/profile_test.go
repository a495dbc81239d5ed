package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
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

// TestProfileBlocks keeps profiles over several blocks, as a large
// tenant's load does, replaces them all (the waste then compacted)
// and checks that every user's record is found where it was put, none
// spanning two blocks.
func TestProfileBlocks(t *testing.T) {
	seed := maphash.MakeSeed()
	tn := newTenant("t")
	const n = 60_000 // about 3 blocks of records
	want := make([][]byte, n)
	record := func(i, round int) []byte {
		name := fmt.Sprintf("User %d of round %d", i, round)
		return appendProfile(nil, fmt.Sprintf("U%d@example.com", i), fmt.Sprintf("u%d@example.com", i), name, strings.Repeat("g", i%50), "", "", time.UnixMicro(int64(i)))
	}
	for i := range n {
		var id allot.GUID
		binary.BigEndian.PutUint32(id[:], uint32(i))
		st := staged{entry: entry{id: id, version: 1}, upn: fmt.Sprintf("u%d@example.com", i), prof: record(i, 0)}
		tn.add(seed, &st)
		want[i] = st.prof
	}
	if len(tn.profs) < 3 {
		t.Fatalf("%d blocks of records, want at least 3", len(tn.profs))
	}
	for i := range n {
		s, _ := tn.slotOf(seed, tn.users[i].id)
		st := staged{entry: tn.users[s], upn: fmt.Sprintf("u%d@example.com", i), prof: record(i, 1)}
		st.version++
		tn.replace(seed, s, &st)
		want[i] = st.prof
	}
	blocks := len(tn.profs)
	tn.compact()
	if tn.wasteProfs != 0 || len(tn.profs) >= blocks {
		t.Errorf("after compact: %d bytes of waste in %d blocks, want none in fewer than %d", tn.wasteProfs, len(tn.profs), blocks)
	}
	for i := range n {
		s, _ := tn.slotOf(seed, tn.users[i].id)
		if got := tn.profile(s); !bytes.Equal(got, want[i]) {
			t.Fatalf("user %d: record -want +got\n-%q\n+%q", i, want[i], got)
		}
	}
	for k, b := range tn.profs {
		if len(b) > profBlockSize {
			t.Errorf("block %d holds %d bytes, more than %d", k, len(b), profBlockSize)
		}
	}
}
