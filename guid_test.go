package allot

import (
	"bytes"
	"strings"
	"testing"
)

func TestGUID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "lower", in: "c7df2760-2c81-4ef7-b578-5b5392b571df", ok: true},
		{name: "upper", in: "C7DF2760-2C81-4EF7-B578-5B5392B571DF", ok: true},
		{name: "empty", in: ""},
		{name: "no dashes", in: "c7df27602c814ef7b5785b5392b571df"},
		{name: "braces", in: "{c7df2760-2c81-4ef7-b578-5b5392b571df}"},
		{name: "not hex", in: "g7df2760-2c81-4ef7-b578-5b5392b571df"},
		{name: "dash misplaced", in: "c7df276-02c81-4ef7-b578-5b5392b571df"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := ParseGUID(tt.in)
			if ok != tt.ok || IsGUID(tt.in) != tt.ok {
				t.Fatalf("ParseGUID(%q) ok = %v, IsGUID = %v, want %v", tt.in, ok, IsGUID(tt.in), tt.ok)
			}
			if want := strings.ToLower(tt.in); ok && g.String() != want {
				t.Errorf("round trip = %q, want %q", g.String(), want)
			}
		})
	}
}

func TestNewGUID(t *testing.T) {
	g, err := NewGUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.String(), "ffffffff-ffff-4fff-bfff-ffffffffffff"; got != want {
		t.Errorf("NewGUID = %s, want %s (version 4, RFC 4122 variant)", got, want)
	}
	if _, err := NewGUID(bytes.NewReader(nil)); err == nil {
		t.Error("NewGUID on an empty reader: no error")
	}
}
