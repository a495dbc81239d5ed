package main

import (
	"bytes"
	"testing"

	"github.com/allot-project/allot"
)

// TestBenchDataPlans checks that version 2 of the data set gives the SKUs
// W5 and W6 change exactly one mailbox plan and one files plan each, that
// the catalog's answers agree (allot.HasData), and that the tags are the
// same when recomputed.
func TestBenchDataPlans(t *testing.T) {
	tests := []struct {
		name string
		size benchSize
	}{
		{"smoke", benchSmokeSize(2000)},
		{"full", benchFullSize(2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := generateBench(tt.size, false)
			for _, s := range []int{benchSKURemove, benchSKUAdd} {
				got := map[allot.DataKind]int{}
				for _, id := range d.skuPlans[s] {
					got[d.catalog.ServicePlan(id).Data]++
				}
				if got[allot.DataMailbox] != 1 || got[allot.DataFiles] != 1 {
					t.Errorf("SKU %d carries %d mailbox plans and %d files plans, want 1 and 1", s, got[allot.DataMailbox], got[allot.DataFiles])
				}
				ls := []allot.License{{SKUID: d.skuIDs[s]}}
				if !allot.HasData(d.catalog, ls, allot.DataMailbox) || !allot.HasData(d.catalog, ls, allot.DataFiles) {
					t.Errorf("SKU %d: the catalog says its license carries no mailbox or no files", s)
				}
			}
			tagged := 0
			for _, p := range d.catalog.ServicePlans {
				if p.Data != allot.DataNone {
					tagged++
				}
			}
			if tagged < 2 || tagged > 4 {
				t.Errorf("%d plans hold data, want 2 to 4 (those of the two SKUs)", tagged)
			}
			if again := generateBench(tt.size, false); !bytes.Equal(again.catalogJS, d.catalogJS) {
				t.Error("the catalog differs when recomputed")
			}
		})
	}
}
