package index

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// A user's profile (allot.UserProfile, with its userPrincipalName in its
// case) is one record of bytes in its tenant's profs, found from the
// user's slot through profAt: the record's position plus one, 0 when the
// index holds none for the user (a user entered by a change that carried
// no profile), whose reads then go to the store. The records are kept in
// blocks of at most profBlockSize bytes, each filled before the next is
// started, so that a load of a million users appends 50 MB of them without
// copying what it wrote as one growing slice would (a position is the
// block's number times profBlockSize plus the offset in it).
//
// A record is the length of the rest, then the userPrincipalName (empty
// when it is the lower-case one the entry keeps), the display name, the
// given name, the surname and the job title, each after its length, and
// the creation time in microseconds, 8 bytes little endian (0: none).

// profBlockSize is the most bytes a block of records holds.
const profBlockSize = 1 << 20

// fieldLen is the size of a field of a record.
func fieldLen(n int) int { return uvarintLen(uint64(n)) + n }

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func appendField[T ~string | ~[]byte](dst []byte, s T) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// ownUPN is the userPrincipalName a record keeps: none when it is the
// lower case the entry keeps.
func ownUPN[T ~string | ~[]byte](upn, lower T) T {
	if string(upn) == string(lower) {
		return upn[:0]
	}
	return upn
}

// profileBody is the size of a record after its length, upn as ownUPN
// gives it.
func profileBody[T ~string | ~[]byte](upn, display, given, surname, job T) int {
	return fieldLen(len(upn)) + fieldLen(len(display)) + fieldLen(len(given)) + fieldLen(len(surname)) + fieldLen(len(job)) + 8
}

// profileLen is the size of the record appendProfile appends.
func profileLen[T ~string | ~[]byte](upn, lower, display, given, surname, job T) int {
	return fieldLen(profileBody(ownUPN(upn, lower), display, given, surname, job))
}

// appendProfile appends the record of a profile whose userPrincipalName
// upn has the lower case lower.
func appendProfile[T ~string | ~[]byte](dst []byte, upn, lower, display, given, surname, job T, created time.Time) []byte {
	upn = ownUPN(upn, lower)
	n := profileBody(upn, display, given, surname, job)
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, f := range [...]T{upn, display, given, surname, job} {
		dst = appendField(dst, f)
	}
	var us int64
	if !created.IsZero() {
		us = created.UnixMicro()
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(us))
}

// stageProfile returns the record of e's profile, nil when e carries none.
func stageProfile(e *allot.Entitlement, lower string) []byte {
	p := e.Profile
	if p == nil {
		return nil
	}
	return appendProfile(nil, e.UserPrincipalName, lower, p.DisplayName, p.GivenName, p.Surname, p.JobTitle, p.CreatedAt)
}

// recordLen returns the size of the record at the start of b.
func recordLen(b []byte) int {
	n, k := binary.Uvarint(b)
	return k + int(n)
}

// profile returns the record of slot s, nil when the index holds none.
func (t *tenant) profile(s uint32) []byte {
	if int(s) >= len(t.profAt) || t.profAt[s] == 0 {
		return nil
	}
	at := t.profAt[s] - 1
	b := t.profs[at/profBlockSize][at%profBlockSize:]
	return b[:recordLen(b)]
}

// profBlock returns the number of the block the next record, of n bytes,
// goes to: the last one, or a new one when the last has no room.
func (t *tenant) profBlock(n int) int {
	last := len(t.profs) - 1
	if last < 0 || len(t.profs[last])+n > profBlockSize {
		var b []byte // the first block grows as a tenant's profiles do
		if last >= 0 {
			b = make([]byte, 0, profBlockSize) // the next ones are made whole
		}
		t.profs = append(t.profs, b)
		last++
	}
	return last
}

// profEnd returns the position, plus one, where the last block ends.
func (t *tenant) profEnd() uint32 {
	last := len(t.profs) - 1
	return uint32(last*profBlockSize+len(t.profs[last])) + 1
}

// appendRecord appends a record and returns its position plus one.
func (t *tenant) appendRecord(rec []byte) uint32 {
	last := t.profBlock(len(rec))
	at := t.profEnd()
	t.profs[last] = append(t.profs[last], rec...)
	return at
}

// profsLen and profsCap are the bytes the records take and hold.
func (t *tenant) profsLen() (n int) {
	for _, b := range t.profs {
		n += len(b)
	}
	return n
}

func (t *tenant) profsCap() (n int64) {
	for _, b := range t.profs {
		n += int64(cap(b))
	}
	return n
}

// setProfile makes rec (a record, nil for none) the profile of slot s.
func (t *tenant) setProfile(s uint32, rec []byte) {
	if old := t.profile(s); old != nil {
		t.wasteProfs += len(old)
	}
	if int(s) >= len(t.profAt) {
		if rec == nil {
			return
		}
		t.profAt = append(t.profAt, make([]uint32, int(s)+1-len(t.profAt))...)
	}
	if rec == nil {
		t.profAt[s] = 0
		return
	}
	t.profAt[s] = t.appendRecord(rec)
}

// recordUPN returns the userPrincipalName, in its case, of the record rec
// of a user whose userPrincipalName in lower case is lower.
func recordUPN(rec, lower []byte) []byte {
	_, k := binary.Uvarint(rec)
	n, j := binary.Uvarint(rec[k:])
	if n == 0 {
		return lower
	}
	return rec[k+j : k+j+int(n)]
}

// readProfile fills u's profile from the record rec of a user whose
// userPrincipalName in lower case is lower.
func readProfile(rec, lower []byte, u *allot.User) {
	_, k := binary.Uvarint(rec)
	rec = rec[k:]
	var f [5]string
	for i := range f {
		n, k := binary.Uvarint(rec)
		f[i], rec = string(rec[k:k+int(n)]), rec[k+int(n):]
	}
	u.UserPrincipalName = f[0]
	if u.UserPrincipalName == "" {
		u.UserPrincipalName = string(lower)
	}
	u.DisplayName, u.GivenName, u.Surname, u.JobTitle = f[1], f[2], f[3], f[4]
	if us := int64(binary.LittleEndian.Uint64(rec)); us != 0 {
		u.CreatedAt = time.UnixMicro(us).UTC()
	}
}

// ReadUser is allot.UserReadService's ReadUser without licenses answered
// from memory: the user not deleted named by id or userPrincipalName,
// authorized as the store authorizes it (allot.AuthorizeNamed) and not
// found as the store finds it, as FindUserLicenses. ok is false when the
// index cannot answer: it holds no profile of the user, or holds the user
// inexactly (flagInexact); the caller then asks the store. Its answer is
// as fresh as the changes applied to it (cmd/internal/server decides).
func (ix *Index) ReadUser(p allot.Principal, idOrUPN string) (u *allot.User, ok bool, err error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, true, err
	}
	key := strings.TrimSpace(idOrUPN)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t := ix.tenants[p.TenantID]
	s, found := t.slotNamed(ix, key)
	if !found || t.users[s].flags&flagDeleted != 0 {
		return nil, true, allot.UserNotFound(idOrUPN)
	}
	en := &t.users[s]
	rec := t.profile(s)
	if rec == nil || en.flags&flagInexact != 0 {
		return nil, false, nil
	}
	u = &allot.User{ID: en.id.String(), TenantID: t.id, UsageLocation: en.location(), AccountEnabled: en.flags&flagEnabled != 0}
	readProfile(rec, t.upn(en), u)
	return u, true, nil
}

// compactProfiles copies the live records into fresh blocks once the
// waste is more than half of what the blocks hold.
func (t *tenant) compactProfiles() {
	if t.wasteProfs < compactWaste || 2*t.wasteProfs < t.profsLen() {
		return
	}
	old := t.profs
	t.profs, t.wasteProfs = nil, 0
	for s, at := range t.profAt {
		if at != 0 {
			at--
			b := old[at/profBlockSize][at%profBlockSize:]
			t.profAt[s] = t.appendRecord(b[:recordLen(b)])
		}
	}
}
