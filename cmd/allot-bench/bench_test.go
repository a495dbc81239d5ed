package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot/cmd/internal/cli"
)

// TestMain lets the test binary, re-executed by the bench, be the bare
// handler's process as the bench binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == bareCommand {
		os.Exit(runBare(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs the CI smoke of the benchmarks through execute, as CI
// does: W1, W3, W4 and W5 on the tiny data set. It checks correctness,
// never speed: every line must report its correctness checks passed, W4
// its invariant in every round.
func TestBenchSmoke(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	code := execute(ctx, &stdout, &stderr, []string{"--smoke", "--duration", "200ms", "--data", filepath.Join(dir, "data"), "W1", "W3", "W4", "W5"})
	if code != cli.ExitOK {
		t.Fatalf("allot-bench --smoke exited %d; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	t.Logf("smoke bench took %s", time.Since(start).Round(time.Millisecond))
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var got []string
	for _, line := range lines {
		var r benchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q is not a result: %v", line, err)
		}
		got = append(got, r.Workload)
		if !r.Correct || !r.Met {
			t.Errorf("%s: correct = %v, met = %v; notes: %s", r.Workload, r.Correct, r.Met, r.Notes)
		}
		if r.Ops == 0 || r.Errors != 0 || r.Commit == "" && r.Go == "" || r.GOMAXPROCS == 0 {
			t.Errorf("%s: ops %d, errors %d, go %q, gomaxprocs %d: want ops, no errors and the run's description", r.Workload, r.Ops, r.Errors, r.Go, r.GOMAXPROCS)
		}
		if r.LoadBefore == "" || r.LoadAfter == "" {
			t.Errorf("%s: load average before %q, after %q; want both", r.Workload, r.LoadBefore, r.LoadAfter)
		}
		switch r.Workload {
		case "W1", "W5":
			if n, _ := r.Extra["checks_verified"].(float64); n < 100 {
				t.Errorf("%s: %v checks compared with the database, want at least 100", r.Workload, r.Extra["checks_verified"])
			}
		case "W4":
			if k1, k10 := r.Extra["rounds_k1"], r.Extra["rounds_k10"]; k1 != 10.0 || k10 != 10.0 {
				t.Errorf("W4 ran %v rounds for K=1 and %v for K=10, want 10 each", k1, k10)
			}
		}
	}
	if want := []string{"W1", "W3", "W4", "W5"}; !slices.Equal(got, want) {
		t.Errorf("workloads = %v, want %v", got, want)
	}
}

// TestBenchFlags checks the command line of allot-bench.
func TestBenchFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown workload", []string{"W14"}, cli.ExitUsage},
		{"bad runs", []string{"--runs", "0"}, cli.ExitUsage},
		{"too few users", []string{"--users", "10"}, cli.ExitUsage},
		{"help", []string{"-h"}, cli.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := execute(context.Background(), &stdout, &stderr, tt.args); got != tt.want {
				t.Errorf("exit %d, want %d; stderr: %s", got, tt.want, stderr.String())
			}
		})
	}
}

// TestBenchDataDeterministic checks that the data set is the same when
// recomputed, which is what lets a cached copy be reused.
func TestBenchDataDeterministic(t *testing.T) {
	a, b := generateBench(benchSmokeSize(2000), true), generateBench(benchSmokeSize(2000), false)
	if a.big.id != b.big.id || a.adminID != b.adminID || a.users[1999] != b.users[1999] || a.small[4].id != b.small[4].id {
		t.Fatal("the generator does not give the same data set twice")
	}
	for i := 1; i < len(a.users); i++ {
		if a.users[i-1].id() >= a.users[i].id() {
			t.Fatalf("user %d's id %s does not sort after %s", i, a.users[i].id(), a.users[i-1].id())
		}
	}
	if len(a.big.set.Users) != 2001 || a.consumed[benchSKURemove] != a.bulk {
		t.Errorf("%d users to import, %d holding the W5 SKU; want 2001 and %d", len(a.big.set.Users), a.consumed[benchSKURemove], a.bulk)
	}
}

// TestBenchReadsSmoke runs W1b, W12 and W13 on the tiny data set against
// the real binary: every line must report its correctness checks passed.
func TestBenchReadsSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/allot")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	code := execute(ctx, &stdout, &stderr, []string{"--smoke", "--duration", "200ms", "--data", filepath.Join(dir, "data"), "W1b", "W12", "W13"})
	if code != cli.ExitOK {
		t.Fatalf("allot-bench --smoke exited %d; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r benchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q is not a result: %v", line, err)
		}
		got = append(got, r.Workload)
		if !r.Correct || r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s: correct = %v, ops %d, errors %d; notes: %s", r.Workload, r.Correct, r.Ops, r.Errors, r.Notes)
		}
		if strings.HasPrefix(r.Workload, "W12/") {
			if n, _ := r.Extra["answers_verified"].(float64); n < 1 || r.Baseline == nil || r.Baseline.Throughput <= 0 {
				t.Errorf("%s: %v answers verified, baseline %+v; want answers and the bare handler's throughput", r.Workload, r.Extra["answers_verified"], r.Baseline)
			}
		}
	}
	want := []string{"W1b", "W12/licenseDetails/demo", "W12/user/demo", "W12/subscribedSkus/demo", "W12/licenseDetails/small", "W12/user/small", "W12/subscribedSkus/small", "W12/licenseDetails/big", "W12/user/big", "W12/subscribedSkus/big",
		"W13/licenses", "W13/product", "W13/users", "W13/users-deep"}
	if !slices.Equal(got, want) {
		t.Errorf("workloads = %v, want %v", got, want)
	}
}

// TestStartTrace checks that --trace's file holds an execution trace once
// stopped, and that an unwritable path is refused before any workload.
func TestStartTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w5.trace")
	stop, err := startTrace(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("trace file starts %q, want an execution trace's header", b[:min(len(b), 16)])
	}
	if _, err := startTrace(filepath.Join(t.TempDir(), "missing", "w5.trace")); err == nil {
		t.Error("a trace into a missing directory: no error")
	}
}

// TestWaitLog checks that waitLog waits for a line printed late (the demo
// server prints its token once it listens, which can be after its index
// has loaded), and gives up when the process exits or time runs out.
func TestWaitLog(t *testing.T) {
	re := regexp.MustCompile(`ALLOT_TOKEN=(\S+)`)
	p := &benchProc{logs: &benchTail{}, done: make(chan struct{})}
	go func() {
		time.Sleep(50 * time.Millisecond)
		fmt.Fprintln(p.logs, "export ALLOT_URL=http://127.0.0.1:1 ALLOT_TOKEN=allot_x")
	}()
	m, err := p.waitLog(context.Background(), re, 5*time.Second)
	if err != nil || m[1] != "allot_x" {
		t.Fatalf("waitLog = %q, %v; want the token printed late", m, err)
	}
	quiet := &benchProc{logs: &benchTail{}, done: make(chan struct{})}
	if _, err := quiet.waitLog(context.Background(), re, 30*time.Millisecond); err == nil {
		t.Error("waitLog on a silent process: no error after its timeout")
	}
	close(quiet.done)
	if _, err := quiet.waitLog(context.Background(), re, time.Minute); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("waitLog on an exited process: %v, want that it exited", err)
	}
}

// TestBenchCommit: a result line names the commit of the tree it ran,
// marked dirty when a tracked file differs from it, but not for the bench
// results it appends to nor for untracked files.
func TestBenchCommit(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if got := benchCommit(ctx, dir); got != "" {
		t.Errorf("outside a git tree: %q, want empty", got)
	}
	git("init", "-q")
	write("a.go", "package a\n")
	write("bench/results/x.jsonl", "{}\n")
	git("add", ".")
	git("commit", "-q", "-m", "x")
	clean := benchCommit(ctx, dir)
	tests := []struct {
		name   string
		change func()
		want   string
	}{
		{"clean", func() {}, clean},
		{"results appended", func() { write("bench/results/x.jsonl", "{}\n{}\n") }, clean},
		{"an untracked file", func() { write("b.go", "package a\n") }, clean},
		{"a tracked file changed", func() { write("a.go", "package b\n") }, clean + "-dirty"},
	}
	for _, tt := range tests {
		tt.change()
		if got := benchCommit(ctx, dir); got != tt.want || len(clean) < 7 {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
