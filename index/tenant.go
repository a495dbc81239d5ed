package index

import (
	"hash/maphash"

	"github.com/allot-project/allot"
)

// tenant holds the users of one tenant in pointer-free slices: a user is
// a fixed-size entry in users, its lower-case UPN a run of bytes in upns
// and its licenses a run of lics; byID and byUPN find a user's slot.
// Replaced runs become waste, reclaimed by compact once it is large.
type tenant struct {
	id    string
	users []entry
	free  []uint32 // slots of removed users, reused first
	// rows are the storage's hints of where the users' rows lie
	// (allot.UserRow.Row) by slot, for the slots a table scan loaded; 0
	// when unknown. Beside users rather than in entry, which every check
	// reads and which stays 40 bytes.
	rows      []int64
	byID      table
	byUPN     table // users not deleted only
	upns      []byte
	lics      []lic
	wasteUPNs int
	wasteLics int
	// profs holds the users' profiles, found by slot through profAt
	// (profile.go).
	profs      [][]byte
	profAt     []uint32
	wasteProfs int
}

// entry is one user. Flags pack the account state.
type entry struct {
	id      allot.GUID
	version int64
	upnOff  uint32
	licOff  uint32
	upnLen  uint16
	licLen  uint16
	flags   uint8
	mailbox uint8   // the mailbox state's number in mailboxStates; mailboxUnknown until a change says
	loc     [2]byte // the usage location, zeros when unset (see flagInexact)
}

const (
	flagEnabled = 1 << iota
	flagDeleted
	flagFree // a removed user's slot
	// flagInexact marks a user the entry does not copy exactly: its
	// usage location is neither two bytes nor unset, or it holds licenses
	// of SKUs outside the catalog, which the index drops. Checks need
	// neither; BulkEntitlements declines such a user.
	flagInexact
)

// packLocation returns a usage location as an entry keeps it, and false
// when it cannot.
func packLocation(s []byte) ([2]byte, bool) {
	switch len(s) {
	case 0:
		return [2]byte{}, true
	case 2:
		if s[0] != 0 && s[1] != 0 {
			return [2]byte{s[0], s[1]}, true
		}
	}
	return [2]byte{}, false
}

// locate returns the usage location packed for e, marking e inexact when
// it cannot be.
func (e *entry) locate(s []byte) [2]byte {
	loc, ok := packLocation(s)
	if !ok {
		e.flags |= flagInexact
	}
	return loc
}

// location returns the usage location an entry keeps.
func (e *entry) location() string {
	if e.loc[0] == 0 {
		return ""
	}
	return string(e.loc[:])
}

// lic is one license: the SKU by number, the plans disabled as a bit set
// over the SKU's plans, and the pool by number in Index.poolNames (0 for
// the admin pool).
type lic struct {
	disabled uint64
	pool     uint32
	sku      uint16
}

// staged is a user read from a change, before it enters a tenant.
type staged struct {
	entry
	upn  string
	lics []lic
	prof []byte // the profile's record; nil when the change carried none
}

func newTenant(id string) *tenant { return &tenant{id: id} }

func (t *tenant) upn(e *entry) []byte { return t.upns[e.upnOff : e.upnOff+uint32(e.upnLen)] }

func (t *tenant) licsOf(e *entry) []lic { return t.lics[e.licOff : e.licOff+uint32(e.licLen)] }

func (t *tenant) idHash(seed maphash.Seed) func(uint32) uint64 {
	return func(s uint32) uint64 { return maphash.Bytes(seed, t.users[s].id[:]) }
}

func (t *tenant) upnHash(seed maphash.Seed) func(uint32) uint64 {
	return func(s uint32) uint64 { return maphash.Bytes(seed, t.upn(&t.users[s])) }
}

// slotOf returns the slot of the user with the id.
func (t *tenant) slotOf(seed maphash.Seed, id allot.GUID) (uint32, bool) {
	cells := t.byID.cells
	if len(cells) == 0 {
		return 0, false
	}
	m := t.byID.mask()
	for i := maphash.Bytes(seed, id[:]) & m; cells[i] != 0; i = (i + 1) & m {
		if s := cells[i] - 1; t.users[s].id == id {
			return s, true
		}
	}
	return 0, false
}

// slotOfUPN returns the slot of the user, not deleted, with the lower-case
// UPN.
func (t *tenant) slotOfUPN(seed maphash.Seed, upn string) (uint32, bool) {
	cells := t.byUPN.cells
	if len(cells) == 0 {
		return 0, false
	}
	m := t.byUPN.mask()
	for i := maphash.String(seed, upn) & m; cells[i] != 0; i = (i + 1) & m {
		if s := cells[i] - 1; string(t.upn(&t.users[s])) == upn {
			return s, true
		}
	}
	return 0, false
}

// index enters slot into the lookup tables.
func (t *tenant) index(seed maphash.Seed, s uint32) {
	e := &t.users[s]
	t.byID.insert(maphash.Bytes(seed, e.id[:]), s, t.idHash(seed))
	if e.flags&flagDeleted == 0 {
		t.byUPN.insert(maphash.Bytes(seed, t.upn(e)), s, t.upnHash(seed))
	}
}

// add enters a new user.
func (t *tenant) add(seed maphash.Seed, st *staged) {
	var s uint32
	if n := len(t.free); n > 0 {
		s, t.free = t.free[n-1], t.free[:n-1]
	} else {
		s = uint32(len(t.users))
		t.users = append(t.users, entry{})
	}
	t.setRow(s, 0) // a change carries no row
	e := &t.users[s]
	*e = st.entry
	e.upnOff, e.upnLen = uint32(len(t.upns)), uint16(len(st.upn))
	t.upns = append(t.upns, st.upn...)
	e.licOff, e.licLen = uint32(len(t.lics)), uint16(len(st.lics))
	t.lics = append(t.lics, st.lics...)
	t.setProfile(s, st.prof)
	t.index(seed, s)
}

// replace moves the user in slot s to the staged state, writing its UPN
// and licenses in place when they fit.
func (t *tenant) replace(seed maphash.Seed, s uint32, st *staged) {
	e := &t.users[s]
	// A user listed by its UPN under the same UPN stays listed: a bulk
	// change replaces 100,000 users whose UPNs do not change.
	listed := e.flags&flagDeleted == 0 && st.flags&flagDeleted == 0 && string(t.upn(e)) == st.upn
	if e.flags&flagDeleted == 0 && !listed {
		t.byUPN.remove(maphash.Bytes(seed, t.upn(e)), s, t.upnHash(seed))
	}
	if st.mailbox == mailboxUnknown {
		st.mailbox = e.mailbox
	}
	// A change without the profile (a license change) keeps the one the
	// entry has, if it follows the entry's state directly: a user whose
	// versions skipped one may have missed a change of its profile, and
	// then has none until one comes.
	if st.prof != nil || st.version > e.version+1 {
		t.setProfile(s, st.prof)
	}
	upnOff, upnLen, licOff, licLen := e.upnOff, e.upnLen, e.licOff, e.licLen
	*e = st.entry
	e.upnOff, e.upnLen = upnOff, upnLen
	if string(t.upns[upnOff:upnOff+uint32(upnLen)]) != st.upn {
		t.wasteUPNs += int(upnLen)
		e.upnOff, e.upnLen = uint32(len(t.upns)), uint16(len(st.upn))
		t.upns = append(t.upns, st.upn...)
	}
	e.licOff, e.licLen = licOff, uint16(len(st.lics))
	if len(st.lics) <= int(licLen) {
		copy(t.lics[licOff:], st.lics)
		t.wasteLics += int(licLen) - len(st.lics)
	} else {
		t.wasteLics += int(licLen)
		e.licOff = uint32(len(t.lics))
		t.lics = append(t.lics, st.lics...)
	}
	if e.flags&flagDeleted == 0 && !listed {
		t.byUPN.insert(maphash.Bytes(seed, t.upn(e)), s, t.upnHash(seed))
	}
}

// remove forgets the user in slot s; the slot is reused.
func (t *tenant) remove(seed maphash.Seed, s uint32) {
	e := &t.users[s]
	t.byID.remove(maphash.Bytes(seed, e.id[:]), s, t.idHash(seed))
	if e.flags&flagDeleted == 0 {
		t.byUPN.remove(maphash.Bytes(seed, t.upn(e)), s, t.upnHash(seed))
	}
	t.wasteUPNs += int(e.upnLen)
	t.wasteLics += int(e.licLen)
	*e = entry{flags: flagFree}
	t.setRow(s, 0)
	t.setProfile(s, nil)
	t.free = append(t.free, s)
}

// row returns the row hint of slot s, 0 when unknown.
func (t *tenant) row(s uint32) int64 {
	if int(s) < len(t.rows) {
		return t.rows[s]
	}
	return 0
}

// setRow sets the row hint of slot s where the hints reach it (a slot past
// them has none).
func (t *tenant) setRow(s uint32, row int64) {
	if int(s) < len(t.rows) {
		t.rows[s] = row
	}
}

// compactWaste is how much waste compact tolerates, in bytes or licenses,
// before it copies the live runs into fresh slices.
const compactWaste = 1 << 16

// compact reclaims the waste once it is more than half of a slice.
func (t *tenant) compact() {
	t.compactProfiles()
	if (t.wasteUPNs < compactWaste || 2*t.wasteUPNs < len(t.upns)) && (t.wasteLics < compactWaste || 2*t.wasteLics < len(t.lics)) {
		return
	}
	upns := make([]byte, 0, len(t.upns)-t.wasteUPNs)
	lics := make([]lic, 0, len(t.lics)-t.wasteLics)
	for i := range t.users {
		e := &t.users[i]
		if e.flags&flagFree != 0 {
			continue
		}
		u, l := t.upn(e), t.licsOf(e)
		e.upnOff, e.licOff = uint32(len(upns)), uint32(len(lics))
		upns, lics = append(upns, u...), append(lics, l...)
	}
	t.upns, t.lics, t.wasteUPNs, t.wasteLics = upns, lics, 0, 0
}

// count returns the number of users.
func (t *tenant) count() int { return len(t.users) - len(t.free) }
