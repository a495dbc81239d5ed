package index

import (
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	for _, s := range []string{"05c643d2-f747-4463-b642-2a95d39a552a", "05C643D2-F747-4463-B642-2A95D39A552A", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"} {
		id, ok := parseID(s)
		if !ok || formatID(id) != strings.ToLower(s) {
			t.Errorf("parseID(%q) = %x %v, want it back", s, id, ok)
		}
	}
	for _, s := range []string{"", "05c643d2f7474463b6422a95d39a552a", "05c643d2-f747-4463-b642-2a95d39a552g", "05c643d2-f747-4463-b642_2a95d39a552a", "05c643d2-f747-4463-b642-2a95d39a552a0"} {
		if _, ok := parseID(s); ok {
			t.Errorf("parseID(%q) accepted", s)
		}
	}
}
