package allot

import (
	"encoding/hex"
	"io"
)

// GUID is a 128-bit identifier, the bytes in the order of its canonical
// text form (8-4-4-4-12 hexadecimal digits). Users, subscriptions, SKUs and
// service plans are named by GUIDs on the wire.
type GUID [16]byte

// NewGUID returns a random (version 4) GUID read from r, which is
// crypto/rand.Reader in production and a seeded source in tests.
func NewGUID(r io.Reader) (GUID, error) {
	var g GUID
	if _, err := io.ReadFull(r, g[:]); err != nil {
		return g, err
	}
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g, nil
}

// String returns the canonical lower-case form.
func (g GUID) String() string {
	var s [36]byte
	hex.Encode(s[0:8], g[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], g[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], g[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], g[8:10])
	s[23] = '-'
	hex.Encode(s[24:], g[10:])
	return string(s[:])
}

// ParseGUID parses a GUID in its canonical form, in either case. It runs on
// every license check, so it reads the bytes directly and never allocates.
func ParseGUID(s string) (GUID, bool) {
	var g GUID
	if !IsGUID(s) {
		return g, false
	}
	n := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		g[n] = unhex(s[i])<<4 | unhex(s[i+1])
		n++
	}
	return g, true
}

// IsGUID reports whether s is a GUID in its canonical 8-4-4-4-12 form,
// in either case.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// unhex is the value of a hex digit IsGUID has already checked.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
