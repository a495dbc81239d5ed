package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/allot-project/allot/graph"
)

// usersList is n userPrincipalNames, one a line, none of them a user.
func usersList(n int) string {
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "nobody%06d@contoso.example\n", i)
	}
	return list.String()
}

// TestBulkOverCap checks that --atomic and --dry-run, which send every
// user in one request, refuse more users than a request takes
// (graph.MaxBulkUsers) before sending anything.
func TestBulkOverCap(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	more := writeFile(t, "more.txt", usersList(graph.MaxBulkUsers+1))
	for _, flag := range []string{"--dry-run", "--atomic"} {
		want := result{2, "", fmt.Sprintf("allot: license assign: --atomic and --dry-run send every user in one request, which takes at most %d users, and %d are named: split the list\n",
			graph.MaxBulkUsers, graph.MaxBulkUsers+1)}
		if got := s.run(t, "license", "assign", "--sku", "SPB", flag, "--users-from", more); got != want {
			t.Errorf("%s over %d users:\nwant %+v\ngot  %+v", flag, graph.MaxBulkUsers, want, got)
		}
	}
}

// TestBulkLargestList runs --dry-run over the most users one request
// takes, which the server answers whole. It takes half a minute (minutes
// with -race), so it runs only with ALLOT_LONG_TESTS=1.
func TestBulkLargestList(t *testing.T) {
	if os.Getenv("ALLOT_LONG_TESTS") == "" {
		t.Skip("sends 100,000 users: set ALLOT_LONG_TESTS=1 to run it")
	}
	t.Parallel()
	s := startServer(t)
	file := writeFile(t, "all.txt", usersList(graph.MaxBulkUsers))
	r := s.run(t, "license", "assign", "--sku", "SPB", "--dry-run", "--users-from", file)
	wantOut := fmt.Sprintf("dry run, nothing changed: would assign Microsoft 365 Business Premium to 0 users; %d would fail\n", graph.MaxBulkUsers)
	if r.code != 1 || !strings.HasSuffix(r.stdout, wantOut) || strings.Count(r.stderr, "\n") != graph.MaxBulkUsers {
		t.Errorf("dry run of %d users: exit %d (want 1), %d stderr lines, stdout ends %q, want …%q", graph.MaxBulkUsers, r.code, strings.Count(r.stderr, "\n"), tail(r.stdout, 120), wantOut)
	}
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }
