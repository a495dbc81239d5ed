package main

import (
	"strings"
	"testing"
)

// TestProgressFlag runs the same commands against two servers, plainly
// on one and with --progress on the other, which runs every request as
// an operation on the server and polls it: what the user sees must be
// the same (no progress bar on a pipe), and the second server must have
// served the operations.
func TestProgressFlag(t *testing.T) {
	t.Parallel()
	plain, async := startServer(t), startServer(t)
	newUsers := writeFile(t, "new.csv", csvHeader+
		"nia@contoso.example,Nia,FR,true,SPB\n"+
		"omar@contoso.example,Omar,FR,true,\n"+
		"pat@contoso.example,Pat,,true,SPB\n")
	tests := []struct {
		name string
		args []string
	}{
		{"assign dry run", append([]string{"license", "assign", "--sku", "SPB", "--dry-run"}, userArgs(short)...)},
		{"assign atomic refused", append([]string{"license", "assign", "--sku", "SPB", "--atomic"}, userArgs(short)...)},
		{"assign", append([]string{"license", "assign", "--sku", "SPB"}, userArgs(short)...)},
		{"unassign", append([]string{"license", "unassign", "--sku", "SPB"}, userArgs(short)...)},
		{"import dry run", []string{"users", "import", "--dry-run", newUsers}},
		{"import", []string{"users", "import", newUsers}},
		{"skus after", []string{"skus"}},
	}
	for _, tt := range tests { // in order: each step sees the ones before
		want := plain.run(t, tt.args...)
		args := tt.args
		if tt.args[0] != "skus" {
			args = append(args[:len(args):len(args)], "--progress")
		}
		if got := async.run(t, args...); got != want {
			t.Errorf("%s with --progress:\nwant %+v\ngot  %+v", tt.name, want, got)
		}
	}
	if n := strings.Count(plain.stderr.String(), "/api/operations/"); n != 0 {
		t.Errorf("the server of the plain commands served %d operation requests, want 0", n)
	}
	if n := strings.Count(async.stderr.String(), "route=/api/operations/{id}/result"); n != 6 {
		t.Errorf("the server of --progress served %d operation results, want 6 (one per command)", n)
	}
}
