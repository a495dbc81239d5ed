package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/internal/loadgen"
)

const benchUsage = `Usage: allot-bench [flags] [W1 W1b W2 W3 W4 W5 W6 W7 W8 W9 W12 W13 W10 W11]

Bench runs the benchmark workloads of docs/performance.md (all of them
when none is named) and prints one JSON line per workload and run on
standard output: throughput, latency percentiles, the baseline measured in
the same run and the ratio, the target and whether it was met, with the Go
version, commit and machine. Progress goes to standard error.

The data set (1 M users in one tenant, 99 small tenants, 200 SKUs of 25
service plans, about 2 M licenses) is generated from a fixed seed into the
--data directory, or reused from there when it matches; each invocation
works on a copy of it. Correctness rides along: sampled license checks are
compared with an answer computed from the database, and seat counters with
the assignment rows; any mismatch makes the exit status 1. Missed speed
targets do not: the machines are shared and noisy.

Examples:

	allot-bench --runs 3
	allot-bench --duration 5s W1 W1b W3
	allot-bench --smoke W1 W3 W4 W5
`

// benchCommand is one run of allot-bench.
type benchCommand struct {
	stdout     io.Writer
	stderr     io.Writer
	dir        string
	users      int
	pgUsers    int
	duration   time.Duration
	smoke      bool
	runs       int
	out        string
	cpuprofile string
	trace      string
	names      []string
}

// benchWorkloads lists the workloads in the order they run: W7 comes after
// W4 and W5 so that its exactness check follows their changes.
var benchWorkloads = []string{"W1", "W1b", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W12", "W13", "W10", "W11"}

// parseBench parses the command line.
func parseBench(stdout, stderr io.Writer, args []string) (*benchCommand, error) {
	c := &benchCommand{stdout: stdout, stderr: stderr}
	fs := cli.NewFlagSet("allot-bench")
	fs.StringVar(&c.dir, "data", "./bench-data", "keep the generated data set, its working copy and the built binary in this `directory`")
	fs.IntVar(&c.users, "users", 0, "users in the big tenant (default 1000000, or 2000 with --smoke)")
	fs.IntVar(&c.pgUsers, "pg-users", 0, "users in the big tenant of W11's PostgreSQL database (default: as --users)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each throughput or latency measurement runs")
	fs.BoolVar(&c.smoke, "smoke", false, "a tiny data set and a few hundred milliseconds per workload: correctness only, for CI")
	fs.IntVar(&c.runs, "runs", 1, "run each workload this many `times`, printing each run")
	fs.StringVar(&c.out, "out", "", "also append the JSON lines to this `file` (default bench/results/<UTC date>.jsonl, none with --smoke)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this `file`")
	fs.StringVar(&c.trace, "trace", "", "write an execution trace of the workloads (not of the set-up) to this `file`, for go tool trace")
	if err := cli.ParseFlags(stdout, fs, benchUsage, args); err != nil {
		return nil, err
	}
	for _, a := range fs.Args() {
		i := slices.IndexFunc(benchWorkloads, func(w string) bool { return strings.EqualFold(w, a) })
		if i < 0 {
			return nil, &cli.UsageError{Msg: fmt.Sprintf("unknown workload %q; want some of %s", a, strings.Join(benchWorkloads, " "))}
		}
		if !slices.Contains(c.names, benchWorkloads[i]) {
			c.names = append(c.names, benchWorkloads[i])
		}
	}
	switch {
	case c.users < 0 || c.pgUsers < 0 || c.runs < 1 || c.duration <= 0:
		return nil, &cli.UsageError{Msg: "--users and --pg-users cannot be negative, --runs and --duration must be positive"}
	case c.users > 0 && c.users < 500:
		return nil, &cli.UsageError{Msg: "--users must be at least 500"}
	}
	if len(c.names) == 0 {
		c.names = benchWorkloads
	} else { // run in the canonical order
		slices.SortFunc(c.names, func(a, b string) int { return slices.Index(benchWorkloads, a) - slices.Index(benchWorkloads, b) })
	}
	if c.users == 0 {
		c.users = 1_000_000
		if c.smoke {
			c.users = 2000
		}
	}
	if c.pgUsers == 0 {
		c.pgUsers = c.users
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if c.smoke && !durationSet {
		c.duration = 300 * time.Millisecond
	}
	if c.out == "" && !c.smoke {
		c.out = filepath.Join("bench", "results", time.Now().UTC().Format("2006-01-02")+".jsonl")
	}
	return c, nil
}

func (c *benchCommand) run(ctx context.Context) error {
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	env, err := newBenchEnv(ctx, c)
	if err != nil {
		return err
	}
	defer env.close()
	if c.trace != "" {
		stop, err := startTrace(c.trace)
		if err != nil {
			return err
		}
		defer stop()
	}
	failed := false
	for _, name := range c.names {
		for run := 1; run <= c.runs; run++ {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			results, err := env.runWorkload(ctx, name, run)
			if err != nil {
				c.logf("%s run %d failed: %v", name, run, err)
				results = append(results, &benchResult{Workload: name, Backend: "sqlite", Notes: "error: " + err.Error()})
			}
			for _, r := range results {
				if !r.Correct {
					failed = true
				}
				if err := c.emit(env, r, run); err != nil {
					return err
				}
			}
		}
	}
	if failed {
		fmt.Fprintln(c.stderr, "allot-bench: a correctness check failed (see the JSON lines with \"correct\": false)")
		return cli.ErrReported
	}
	return nil
}

// startTrace starts an execution trace into the file at path and returns
// what stops it: where W5's checks wait (go tool trace -pprof=sync, sched)
// shows in a trace, not in a CPU profile.
func startTrace(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { trace.Stop(); f.Close() }, nil
}

// logf reports progress on standard error.
func (c *benchCommand) logf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "allot-bench: "+format+"\n", args...)
}

// benchResult is one JSON line of output.
type benchResult struct {
	Workload   string         `json:"workload"`
	Backend    string         `json:"backend"`
	Run        int            `json:"run"`
	Throughput float64        `json:"throughput"`
	P50        float64        `json:"p50_ms"`
	P95        float64        `json:"p95_ms"`
	P99        float64        `json:"p99_ms"`
	P999       float64        `json:"p999_ms"`
	Max        float64        `json:"max_ms"`
	Errors     int64          `json:"errors"`
	Ops        int64          `json:"ops"`
	Baseline   *benchBaseline `json:"baseline,omitempty"`
	Ratio      float64        `json:"ratio,omitempty"`
	Target     string         `json:"target"`
	Met        bool           `json:"met"`
	Correct    bool           `json:"correct"` // every correctness check of the run passed
	Notes      string         `json:"notes"`
	Extra      map[string]any `json:"extra,omitempty"`
	LoadBefore string         `json:"load_before"` // /proc/loadavg's 1, 5 and 15 min averages as the workload started
	LoadAfter  string         `json:"load_after"`  // and as it ended
	Users      int            `json:"users"`
	Smoke      bool           `json:"smoke,omitempty"`
	Time       string         `json:"time"`
	Go         string         `json:"go"`
	Commit     string         `json:"commit"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	CPUs       int            `json:"cpus"`
	Machine    string         `json:"machine"`
}

// benchBaseline is the reference a workload is compared with, measured in
// the same run.
type benchBaseline struct {
	Name       string  `json:"name"`
	Throughput float64 `json:"throughput,omitempty"`
	P99        float64 `json:"p99_ms,omitempty"`
	Seconds    float64 `json:"seconds,omitempty"`
}

// benchMS converts a duration to milliseconds with microsecond precision.
func benchMS(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

// benchRound keeps three significant decimals of a ratio or rate.
func benchRound(v float64) float64 { return math.Round(v*1000) / 1000 }

// setLatency fills the latency fields and counts from a load's result.
func (r *benchResult) setLatency(res *loadgen.Result) {
	r.P50, r.P95, r.P99, r.P999, r.Max = benchMS(res.Quantile(0.5)), benchMS(res.Quantile(0.95)), benchMS(res.Quantile(0.99)), benchMS(res.Quantile(0.999)), benchMS(res.Max())
	r.Ops, r.Errors = res.Ops, res.Errors+res.Dropped
	r.Throughput = math.Round(res.Throughput())
}

// note appends a sentence to the notes.
func (r *benchResult) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if r.Notes != "" {
		r.Notes += "; "
	}
	r.Notes += s
}

// fail records a failed correctness check.
func (r *benchResult) fail(format string, args ...any) {
	r.Correct = false
	r.note("CORRECTNESS: "+format, args...)
}

// extra records a workload-specific measure.
func (r *benchResult) extra(key string, v any) {
	if r.Extra == nil {
		r.Extra = map[string]any{}
	}
	r.Extra[key] = v
}

// emit completes r with the run's description and prints it.
func (c *benchCommand) emit(env *benchEnv, r *benchResult, run int) error {
	r.Run, r.Users, r.Smoke = run, c.users, c.smoke
	if r.Backend == "" {
		r.Backend = "sqlite"
	}
	if c.smoke {
		r.Met = r.Correct // speed is not judged on the smoke data set
		r.Target = "smoke: correctness only (" + r.Target + ")"
	} else {
		r.Met = r.Met && r.Correct
	}
	r.Time = time.Now().UTC().Format(time.RFC3339)
	if r.LoadAfter == "" {
		r.LoadAfter = loadAverage()
	}
	r.Go, r.Commit, r.GOMAXPROCS, r.CPUs, r.Machine = runtime.Version(), env.commit, env.procs, runtime.NumCPU(), env.machine
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.stdout, "%s\n", b); err != nil {
		return err
	}
	if c.out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(c.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\n", b)
	return errors.Join(err, f.Close())
}

// loadAverage returns the 1, 5 and 15 minute load averages of
// /proc/loadavg, "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// benchCPU is a reading of the process's CPU time: in total (all the
// Ps could have used) and spent by the garbage collector and by the code.
type benchCPU struct{ total, gc, user float64 }

func readCPU() benchCPU {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/user:cpu-seconds"}}
	metrics.Read(s)
	return benchCPU{s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Float64()}
}

// processCPU returns the CPU time, user and system, the process has used
// so far; 0 where the system does not say.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcShare records in r the share of the CPU the process used since from
// that went to the garbage collector.
func (r *benchResult) gcShare(from benchCPU) {
	to := readCPU()
	if used := (to.gc - from.gc) + (to.user - from.user); used > 0 {
		r.extra("gc_cpu_share", benchRound((to.gc-from.gc)/used))
	}
}

// benchCommit returns the short commit of the git tree in dir ("" for
// the working directory), followed by "-dirty" when tracked files other
// than bench/results differ from it: the bench measures the tree, and a
// line must not name a commit whose code it did not run. "" when unknown.
func benchCommit(ctx context.Context, dir string) string {
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		return cmd.Output()
	}
	out, err := git("rev-parse", "--short", "HEAD")
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	changed, err := git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results")
	if err != nil || len(bytes.TrimSpace(changed)) > 0 {
		commit += "-dirty"
	}
	return commit
}

// benchMachine describes the machine: architecture and CPU model.
func benchMachine() string {
	arch := runtime.GOARCH
	if out, err := exec.Command("uname", "-m").Output(); err == nil {
		arch = strings.TrimSpace(string(out))
	}
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s, %d CPUs", arch, model, runtime.NumCPU()))
}
