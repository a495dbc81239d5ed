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

// TestProgressFollow checks that the bar follows an operation's
// percentage in the users of its request, never back, and that requests
// sent one after another add up.
func TestProgressFollow(t *testing.T) {
	var out strings.Builder
	bar := &progress{w: &out, on: true, label: "assigning", total: 3000, barLen: 10}
	shown := 0
	for _, pct := range []int{0, 8, 40, 30, 99} { // 30: an answer read late
		bar.follow(&shown, 2000, pct)
	}
	if bar.done != 1980 || shown != 1980 {
		t.Errorf("after 99%% of 2000 users: bar at %d, shown %d; want 1980", bar.done, shown)
	}
	bar.add(2000 - shown) // the request's answer
	shown = 0
	bar.follow(&shown, 1000, 50)
	if want := "\rassigning [########--] 2500/3000 users"; bar.done != 2500 || !strings.HasSuffix(out.String(), want) {
		t.Errorf("after a second request half done: bar at %d, drawn %q; want 2500, %q", bar.done, out.String(), want)
	}
}
