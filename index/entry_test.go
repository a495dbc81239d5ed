package index

import (
	"testing"
	"unsafe"
)

// TestEntrySize keeps a user's entry at 40 bytes: every check reads one,
// and a million of them are most of the index (docs/performance.md, W10).
func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(entry{}); got != 40 {
		t.Errorf("entry is %d bytes, want 40", got)
	}
}

// TestPackLocation keeps usage locations of two bytes and none, and
// declines the rest, which mark a user inexact.
func TestPackLocation(t *testing.T) {
	tests := []struct {
		in   string
		want [2]byte
		ok   bool
	}{
		{"", [2]byte{}, true},
		{"FR", [2]byte{'F', 'R'}, true},
		{"F", [2]byte{}, false},
		{"FRA", [2]byte{}, false},
		{"F\x00", [2]byte{}, false},
	}
	for _, tt := range tests {
		got, ok := packLocation([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("packLocation(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		e := entry{loc: got}
		if ok && e.location() != tt.in {
			t.Errorf("location of %q = %q", tt.in, e.location())
		}
	}
}
