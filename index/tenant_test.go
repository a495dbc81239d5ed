package index

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestTenantMatchesMap adds, replaces and removes users at random, many
// enough for the tables to grow, runs to shift back and the slices to be
// compacted, and checks after each round that every user, and only those,
// is found by id and by UPN with its licenses and profile: a change
// without a profile keeps the user's if it follows it directly (the next
// version), else leaves none.
func TestTenantMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seed := maphash.MakeSeed()
	tn := newTenant("t")
	want := map[allot.GUID]staged{}
	profs := map[allot.GUID][]byte{}
	var ids []allot.GUID
	for round := 0; round < 40; round++ {
		for op := 0; op < 500; op++ {
			var id allot.GUID
			if len(ids) > 0 && r.IntN(3) > 0 {
				id = ids[r.IntN(len(ids))]
			} else {
				id[0], id[1], id[15] = byte(r.IntN(256)), byte(r.IntN(40)), byte(round)
			}
			s, found := tn.slotOf(seed, id)
			if _, ok := want[id]; ok != found {
				t.Fatalf("round %d: slotOf(%v) found %v, want %v", round, id, found, ok)
			}
			switch {
			case found && r.IntN(4) == 0:
				tn.remove(seed, s)
				delete(want, id)
				delete(profs, id)
			case found:
				st := randomStaged(r, id)
				if r.IntN(2) == 0 {
					st.upn = want[id].upn // a change that keeps the UPN
				}
				if r.IntN(2) == 0 {
					st.version = want[id].version + int64(r.IntN(2)) // the same state or the next
				}
				switch {
				case st.prof != nil:
					profs[id] = st.prof
				case st.version > want[id].version+1:
					delete(profs, id)
				}
				tn.replace(seed, s, &st)
				want[id] = st
			default:
				st := randomStaged(r, id)
				tn.add(seed, &st)
				want[id] = st
				if st.prof != nil {
					profs[id] = st.prof
				}
				ids = append(ids, id)
			}
		}
		tn.compact()
		checkTenant(t, seed, tn, want)
		live := 0
		for id := range want {
			s, _ := tn.slotOf(seed, id)
			if got := tn.profile(s); !bytes.Equal(got, profs[id]) {
				t.Fatalf("round %d: user %v's profile -want +got\n-%q\n+%q", round, id, profs[id], got)
			}
			live += len(profs[id])
		}
		if n := tn.profsLen(); live+tn.wasteProfs != n || n > max(2*live, live+compactWaste) {
			t.Fatalf("round %d: %d bytes of profiles for %d live and %d waste", round, tn.profsLen(), live, tn.wasteProfs)
		}
	}
	if tn.wasteUPNs == 0 && len(tn.upns) > 4*compactWaste {
		t.Errorf("never compacted: %d bytes of UPNs", len(tn.upns))
	}
}

func randomStaged(r *rand.Rand, id allot.GUID) staged {
	st := staged{entry: entry{id: id, version: r.Int64N(100), mailbox: uint8(r.IntN(len(mailboxStates)))}}
	st.flags = userFlags(r.IntN(2) == 0, r.IntN(5) == 0)
	st.upn = fmt.Sprintf("u%d-%x@example.com", r.IntN(30), id[:2])
	for n := r.IntN(4); n > 0; n-- {
		st.lics = append(st.lics, lic{sku: uint16(r.IntN(9)), pool: uint32(r.IntN(3)), disabled: r.Uint64()})
	}
	if r.IntN(3) > 0 {
		st.prof = appendProfile(nil, strings.ToUpper(st.upn[:1])+st.upn[1:], st.upn, strings.Repeat("n", r.IntN(40)), "g", "", "j", time.UnixMicro(r.Int64N(1<<50)))
	}
	return st
}

func checkTenant(t *testing.T, seed maphash.Seed, tn *tenant, want map[allot.GUID]staged) {
	t.Helper()
	if got := tn.count(); got != len(want) {
		t.Fatalf("count() = %d, want %d", got, len(want))
	}
	for id, st := range want {
		s, ok := tn.slotOf(seed, id)
		if !ok {
			t.Fatalf("user %v not found by id", id)
		}
		e := &tn.users[s]
		if got := string(tn.upn(e)); got != st.upn || e.flags != st.flags || e.version != st.version {
			t.Fatalf("user %v: -want +got\n-%s %d %d\n+%s %d %d", id, st.upn, st.flags, st.version, got, e.flags, e.version)
		}
		if got := fmt.Sprint(tn.licsOf(e)); got != fmt.Sprint(st.lics) && len(st.lics)+len(tn.licsOf(e)) > 0 {
			t.Fatalf("user %v licenses: -want +got\n-%s\n+%s", id, fmt.Sprint(st.lics), got)
		}
		if st.flags&flagDeleted != 0 {
			continue
		}
		if s2, ok := tn.slotOfUPN(seed, st.upn); !ok || (s2 != s && tn.users[s2].flags&flagDeleted != 0) {
			t.Fatalf("user %v not found by UPN %s", id, st.upn)
		}
	}
	var none allot.GUID
	none[15] = 255
	if _, ok := tn.slotOf(seed, none); ok {
		t.Fatalf("found a user never added")
	}
}
