package server

import "testing"

func TestGCPercent(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name        string
		live, index int64
		want        int
	}{
		{"no heap read yet", 0, 0, 100},
		{"a small heap: the default", 20 * mb, 0, 100},
		{"a small index: the default", 60 * mb, 10 * mb, 100},
		{"the rest is the headroom", 300 * mb, 100 * mb, 66},
		{"at least minHeadroom", 130 * mb, 115 * mb, 49},
		{"never under 10", 2000 * mb, 1990 * mb, 10},
		{"an index said larger than the heap", 100 * mb, 150 * mb, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gcPercent(tt.live, tt.index); got != tt.want {
				t.Errorf("gcPercent(%d MB, %d MB) = %d, want %d", tt.live/mb, tt.index/mb, got, tt.want)
			}
		})
	}
}
