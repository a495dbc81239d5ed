package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/internal/loadgen"
)

// This file runs the real binary: W10 (cold start and footprint) and the
// helpers W11 uses to run several "allot serve" processes.

// buildBinary builds cmd/allot into the data directory once per
// invocation and returns its path.
func (env *benchEnv) buildBinary(ctx context.Context) (string, error) {
	if env.binary != "" {
		return env.binary, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("building allot needs the go tool inside allot's module (go env GOMOD: %q, %v)", gomod, err)
	}
	bin, err := filepath.Abs(filepath.Join(env.c.dir, "allot"))
	if err != nil {
		return "", err
	}
	start := time.Now()
	// The release build of docs/operations.md, which W10 measures.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/allot")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	env.c.logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	env.binary = bin
	return bin, nil
}

// benchProc is a running "allot serve".
type benchProc struct {
	cmd   *exec.Cmd
	base  string
	start time.Time
	logs  *benchTail
	done  chan struct{}
	err   error // once done is closed
}

// benchTail keeps the last few kilobytes written to it.
type benchTail struct {
	mu sync.Mutex
	b  []byte
}

func (t *benchTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8192 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *benchTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

// startServe starts "allot serve" on the database dsn, with the bench's
// catalog, and a free port.
func (env *benchEnv) startServe(ctx context.Context, dsn string) (*benchProc, error) {
	return env.startServeWith(ctx, "--db", dsn, "--catalog", filepath.Join(env.c.dir, "catalog.json"))
}

// startServeWith starts "allot serve" with args on a free port, logging in
// JSON and without rate limits.
func (env *benchEnv) startServeWith(ctx context.Context, args ...string) (*benchProc, error) {
	bin, err := env.buildBinary(ctx)
	if err != nil {
		return nil, err
	}
	port, err := benchFreePort()
	if err != nil {
		return nil, err
	}
	p := &benchProc{base: "http://127.0.0.1:" + strconv.Itoa(port), logs: &benchTail{}, done: make(chan struct{})}
	args = append([]string{"serve"}, args...)
	args = append(args, "--addr", "127.0.0.1:"+strconv.Itoa(port), "--log-format", "json",
		"--rate-limit", "0", "--tenant-rate-limit", "0") // the bench measures the server, not its throttling
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func benchFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitCorrect asks q until the process answers want, and returns the time
// since its start.
func (p *benchProc) waitCorrect(ctx context.Context, c *loadgen.Client, q benchQuery, want graph.CheckResult, timeout time.Duration) (time.Duration, error) {
	deadline := p.start.Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return 0, fmt.Errorf("allot serve exited (%v): %s", p.err, p.logs)
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		status, body, err := c.Do(ctx, http.MethodGet, q.url(p.base), nil)
		if err == nil && status == http.StatusOK {
			var got graph.CheckResult
			if json.Unmarshal(body, &got) == nil && got == want {
				return time.Since(p.start), nil
			}
			last = string(body)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("no correct answer within %s (last %q); log: %s", timeout, last, p.logs)
}

// waitLog waits until the process's output matches re and returns the
// match's submatches.
func (p *benchProc) waitLog(ctx context.Context, re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.logs.String()); m != nil {
			return m, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("allot serve exited (%v): %s", p.err, p.logs)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("nothing matched %s within %s; log: %s", re, timeout, p.logs)
		}
	}
}

// waitLoaded polls /healthz until the process says plainly "ok" (not "ok,
// index loading": a server answers checks from SQL while its index loads
// in the background) and returns the time since its start.
func (p *benchProc) waitLoaded(ctx context.Context, c *loadgen.Client, timeout time.Duration) (time.Duration, error) {
	deadline := p.start.Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return 0, fmt.Errorf("allot serve exited (%v): %s", p.err, p.logs)
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		status, body, err := c.Do(ctx, http.MethodGet, p.base+"/healthz", nil)
		if err == nil && status == http.StatusOK && string(bytes.TrimSpace(body)) == "ok" {
			return time.Since(p.start), nil
		}
		last = string(body)
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("/healthz not \"ok\" within %s (last %q); log: %s", timeout, last, p.logs)
}

// stop ends the process with SIGTERM, or SIGKILL after 15 s.
func (p *benchProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// memory returns the process's resident set and its peak, in bytes.
func (p *benchProc) memory() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	return rss, peak
}

// probe is the check a started server must answer correctly: user 0
// about a plan of its first SKU.
func (env *benchEnv) probe(ctx context.Context) (benchQuery, graph.CheckResult, error) {
	u := &env.d.users[0]
	q := benchQuery{ui: 0, user: u.id(), plan: env.d.skuPlans[u.skus[0]][0]}
	want, err := env.expected(ctx, env.db, []benchQuery{q})
	if err != nil {
		return q, graph.CheckResult{}, err
	}
	return q, want[0], nil
}

// w10 is cold start and footprint: the real binary started on the
// database, timed to its first correct check, its memory measured under
// W1's load, and its size.
func (env *benchEnv) w10(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "first correct check ≤ 2 s after exec; RSS ≤ 300 MB under W1 load; binary ≤ 30 MB"}
	bin, err := env.buildBinary(ctx)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}
	q, want, err := env.probe(ctx)
	if err != nil {
		return nil, err
	}
	c := env.client(1)
	defer c.Close()
	p, err := env.startServe(ctx, env.dbPath)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	ready, err := p.waitCorrect(ctx, c, q, want, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	loaded, err := p.waitLoaded(ctx, c, 5*time.Minute) // W1's load and RSS are the loaded server's
	if err != nil {
		return nil, err
	}
	_, startPeak := p.memory()
	var rssMax int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			rss, _ := p.memory()
			rssMax = max(rssMax, rss)
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	s := newBenchSampler(1000, 100)
	res := env.measureChecks(ctx, p.base, s)
	close(stop)
	<-sampled
	_, peak := p.memory()
	r.setLatency(res)
	benchNoteErr(r, res)
	mb := func(n int64) float64 { return benchRound(float64(n) / (1 << 20)) }
	r.extra("start_s", benchRound(ready.Seconds()))
	r.extra("index_loaded_s", benchRound(loaded.Seconds()))
	r.extra("rss_mb", mb(rssMax))
	r.extra("peak_rss_mb", mb(peak))
	r.extra("start_peak_rss_mb", mb(startPeak))
	r.extra("binary_mb", mb(fi.Size()))
	r.note("first correct check %.2f s after exec, index loaded (/healthz \"ok\") after %.2f s; RSS under W1 %.0f MB (peak %.0f MB, %.0f MB by the end of start-up); binary %.1f MB (release build: -trimpath -ldflags='-s -w'); throughput and latencies are W1's against the real binary once loaded",
		ready.Seconds(), loaded.Seconds(), mb(rssMax), mb(peak), mb(startPeak), mb(fi.Size()))
	r.Met = ready <= 2*time.Second && rssMax <= 300<<20 && fi.Size() <= 30<<20 && r.Errors == 0
	return r, env.verify(ctx, env.db, r, s.samples, nil)
}

// startServers starts n "allot serve" processes on dsn and waits until
// each answers the probe correctly.
func (env *benchEnv) startServers(ctx context.Context, dsn string, n int) ([]*benchProc, error) {
	q, want, err := env.probe(ctx)
	if err != nil {
		return nil, err
	}
	c := env.client(1)
	defer c.Close()
	var procs []*benchProc
	stopAll := func() {
		for _, p := range procs {
			p.stop()
		}
	}
	for range n {
		p, err := env.startServe(ctx, dsn)
		if err != nil {
			stopAll()
			return nil, err
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		took, err := p.waitCorrect(ctx, c, q, want, 5*time.Minute)
		if err != nil {
			stopAll()
			return nil, err
		}
		env.c.logf("allot serve at %s ready in %s", p.base, took.Round(time.Millisecond))
	}
	return procs, nil
}

// roundRobin sends worker w's requests to bases[w.ID % len(bases)].
func roundRobin(bases []string) func(*loadgen.Worker) string {
	return func(w *loadgen.Worker) string { return bases[w.ID%len(bases)] }
}

var errNotConverged = errors.New("the servers did not converge")
