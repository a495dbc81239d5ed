package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/internal/loadgen"
)

// This file holds the license-check workloads (W1, W1b, W2) and the
// correctness check that rides along with every workload sending checks.

// benchQuery is one license check of a user of the big tenant.
type benchQuery struct {
	ui         int    // the user's number
	user, plan string // as sent: an id or a UPN, an id or a name
}

// url returns the GET /api/check URL of the query on base.
func (q benchQuery) url(base string) string {
	return base + "/api/check?user=" + q.user + "&servicePlan=" + q.plan
}

// randomCheck draws a check: a random user, asked by id (or by UPN one
// time in ten) about a plan of one of its SKUs (or, one time in five, any
// plan), named by id (or by name one time in ten).
func (d *benchData) randomCheck(rng *rand.Rand) benchQuery {
	ui := rng.IntN(len(d.users))
	u := &d.users[ui]
	q := benchQuery{ui: ui, user: u.id()}
	if rng.IntN(10) == 0 {
		q.user = d.upn(ui)
	}
	plan := rng.IntN(len(d.planIDs))
	if rng.IntN(5) != 0 {
		nums := d.skuPlanNo[u.skus[rng.IntN(int(u.n))]]
		plan = nums[rng.IntN(len(nums))]
	}
	q.plan = d.planIDs[plan]
	if rng.IntN(10) == 0 {
		q.plan = d.planNames[plan]
	}
	return q
}

// benchSample is an answer kept to be compared with the database.
type benchSample struct {
	q   benchQuery
	got graph.CheckResult
}

// benchSampler keeps up to max answers, one in every.
type benchSampler struct {
	mu      sync.Mutex
	max     int
	every   int
	samples []benchSample
}

func newBenchSampler(limit, every int) *benchSampler {
	return &benchSampler{max: limit, every: max(every, 1)}
}

// want reports whether the next answer should be kept.
func (s *benchSampler) want(rng *rand.Rand) bool {
	if rng.IntN(s.every) != 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.samples) < s.max
}

func (s *benchSampler) add(samples ...benchSample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, samples...)
}

// checkOp returns the operation of W1: one GET /api/check, its answer
// sampled into s.
func (env *benchEnv) checkOp(c *loadgen.Client, base func(w *loadgen.Worker) string, s *benchSampler) loadgen.Op {
	return func(ctx context.Context, w *loadgen.Worker) error {
		q := env.d.randomCheck(w.Rand)
		status, body, err := c.Do(ctx, http.MethodGet, q.url(base(w)), nil)
		if err != nil {
			return err
		}
		if err := loadgen.Expect(status, body, http.StatusOK); err != nil {
			return err
		}
		if s != nil && s.want(w.Rand) {
			var a graph.CheckResult
			if err := json.Unmarshal(body, &a); err != nil {
				return err
			}
			s.add(benchSample{q, a})
		}
		return nil
	}
}

func benchBase(base string) func(*loadgen.Worker) string {
	return func(*loadgen.Worker) string { return base }
}

// expected computes the answers to qs from the database alone: the
// users' stored entitlements and pools, decided by allot.Check.
func (env *benchEnv) expected(ctx context.Context, src allot.EntitlementSource, qs []benchQuery) ([]graph.CheckResult, error) {
	seen := map[string]bool{}
	var ids []string
	for _, q := range qs {
		if id := env.d.users[q.ui].id(); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	ents, err := src.FindEntitlements(ctx, env.d.big.id, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*allot.Entitlement{}
	for _, e := range ents {
		byID[e.UserID] = e
	}
	access, err := src.FindPoolAccess(ctx, env.d.big.id)
	if err != nil {
		return nil, err
	}
	has := func(t, sku, pool string) bool { return access[allot.PoolKey{TenantID: t, SKUID: sku, Pool: pool}] }
	out := make([]graph.CheckResult, len(qs))
	for i, q := range qs {
		a := allot.Check(env.d.catalog, byID[env.d.users[q.ui].id()], env.d.catalog.ServicePlan(q.plan), has)
		out[i] = graph.CheckResult{User: q.user, UserID: a.UserID, ServicePlanID: a.ServicePlanID, Licensed: a.Licensed, SKUID: a.SKUID, Reason: a.Reason}
	}
	return out, nil
}

// verify compares sampled answers with the answers computed from the
// database (expected) and records the outcome in r. skip, when set,
// excludes users whose licenses were changing while they were asked.
func (env *benchEnv) verify(ctx context.Context, src allot.EntitlementSource, r *benchResult, samples []benchSample, skip func(ui int) bool) error {
	var kept []benchSample
	var qs []benchQuery
	for _, s := range samples {
		if skip == nil || !skip(s.q.ui) {
			kept = append(kept, s)
			qs = append(qs, s.q)
		}
	}
	want, err := env.expected(ctx, src, qs)
	if err != nil {
		return err
	}
	bad := 0
	for i, s := range kept {
		if want[i] != s.got {
			if bad < 3 {
				r.fail("check user=%s servicePlan=%s answered %+v, the database says %+v", s.q.user, s.q.plan, s.got, want[i])
			}
			bad++
		}
	}
	if bad > 3 {
		r.fail("%d more mismatched checks", bad-3)
	}
	n, _ := r.Extra["checks_verified"].(int)
	r.extra("checks_verified", n+len(kept))
	return nil
}

// sweep asks n random checks (or the given ones) in batches of 100 through
// POST /api/check on base, verifies every answer and returns them.
func (env *benchEnv) sweep(ctx context.Context, src allot.EntitlementSource, r *benchResult, base string, qs []benchQuery, n int) ([]benchSample, error) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for len(qs) < n {
		qs = append(qs, env.d.randomCheck(rng))
	}
	c, err := env.api(base)
	if err != nil {
		return nil, err
	}
	var samples []benchSample
	for start := 0; start < len(qs); start += 100 {
		batch := qs[start:min(start+100, len(qs))]
		answers, err := benchPostChecks(ctx, c, batch)
		if err != nil {
			return nil, err
		}
		for i, a := range answers {
			samples = append(samples, benchSample{batch[i], a})
		}
	}
	return samples, env.verify(ctx, src, r, samples, nil)
}

// benchChecksBody is the body of POST /api/check for qs.
func benchChecksBody(qs []benchQuery) []byte {
	b, err := json.Marshal(graph.CheckBatch{Checks: benchCheckRequests(qs)})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return b
}

// benchCheckRequests returns the checks of qs.
func benchCheckRequests(qs []benchQuery) []graph.CheckRequest {
	reqs := make([]graph.CheckRequest, len(qs))
	for i, q := range qs {
		reqs[i] = graph.CheckRequest{User: q.user, ServicePlan: q.plan}
	}
	return reqs
}

// benchPostChecks asks a batch of checks through the API's client and
// returns the answers.
func benchPostChecks(ctx context.Context, c *client.Client, qs []benchQuery) ([]graph.CheckResult, error) {
	answers, err := c.Check(ctx, benchCheckRequests(qs))
	if err != nil {
		return nil, err
	}
	if len(answers) != len(qs) {
		return nil, fmt.Errorf("asked %d checks, got %d answers", len(qs), len(answers))
	}
	return answers, nil
}

// sweepSize is how many checks are verified after a check workload.
func (env *benchEnv) sweepSize() int {
	if env.c.smoke {
		return 300
	}
	return 1000
}

// w1 is check throughput: GET /api/check in a closed loop of 32
// connections, against a bare net/http handler doing one map lookup.
func (env *benchEnv) w1(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "≥ 50 % of a bare net/http JSON handler's throughput"}
	bare, err := env.bare(ctx)
	if err != nil {
		return nil, err
	}
	base := env.measureChecks(ctx, bare, nil)
	s := newBenchSampler(1000, 100)
	cpu := readCPU()
	res := env.measureChecks(ctx, env.base, s)
	r.gcShare(cpu)
	r.setLatency(res)
	r.Baseline = &benchBaseline{Name: bareName, Throughput: benchRound(base.Throughput())}
	r.Ratio = benchRound(res.Throughput() / base.Throughput())
	r.Met = r.Ratio >= 0.5 && r.Errors == 0
	r.extra("baseline_p99_ms", benchMS(base.Quantile(0.99)))
	r.extra("index_bytes_per_user", int(env.indexMem))
	benchNoteErr(r, res)
	if err := env.verify(ctx, env.db, r, s.samples, nil); err != nil {
		return nil, err
	}
	_, err = env.sweep(ctx, env.db, r, env.base, nil, env.sweepSize())
	return r, err
}

// measureChecks runs W1's closed loop against base.
func (env *benchEnv) measureChecks(ctx context.Context, base string, s *benchSampler) *loadgen.Result {
	return env.measureChecksOn(ctx, benchBase(base), s)
}

// measureChecksOn runs W1's closed loop, each worker sending to base(w).
func (env *benchEnv) measureChecksOn(ctx context.Context, base func(*loadgen.Worker) string, s *benchSampler) *loadgen.Result {
	c := env.client(32)
	defer c.Close()
	return loadgen.Closed{Workers: 32, Duration: env.c.duration, Warmup: env.c.warmup(), Seed: 1}.Run(ctx, env.checkOp(c, base, s))
}

// benchNoteErr notes the first error of a load.
func benchNoteErr(r *benchResult, res *loadgen.Result) {
	if res.FirstErr != nil {
		r.note("first error: %v", res.FirstErr)
	}
	if res.Dropped > 0 {
		r.note("%d requests never sent (the generator fell behind)", res.Dropped)
	}
}

// w1b is check latency: the bare handler's closed-loop throughput is
// measured first; then the same checks go in an open loop at half that
// rate to the bare handler and to allot, and their p99s are compared.
func (env *benchEnv) w1b(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "p99 ≤ 2× the bare handler's p99 at half the rate it sustains (and ≤ 1 ms where the machine allows)"}
	bare, err := env.bare(ctx)
	if err != nil {
		return nil, err
	}
	c := env.client(32)
	sat := loadgen.Closed{Workers: 32, Duration: max(env.c.duration/2, 200*time.Millisecond), Warmup: env.c.warmup(), Seed: 5}.Run(ctx, env.checkOp(c, benchBase(bare), nil))
	c.Close()
	if sat.Throughput() <= 0 {
		return nil, fmt.Errorf("the bare handler answered no check: %v", sat.FirstErr)
	}
	// At least ten checks per measurement, however loaded the machine.
	rate := max(math.Round(sat.Throughput()/2), math.Ceil(10/env.c.duration.Seconds()))
	ref := env.openChecks(ctx, bare, rate, nil)
	s := newBenchSampler(1000, int(rate*env.c.duration.Seconds())/1000)
	cpu := readCPU()
	res := env.openChecks(ctx, env.base, rate, s)
	r.gcShare(cpu)
	r.setLatency(res)
	bareP99 := benchMS(ref.Quantile(0.99))
	r.Baseline = &benchBaseline{Name: bareName + ", same open loop", Throughput: benchRound(ref.Throughput()), P99: bareP99}
	if bareP99 > 0 {
		r.Ratio = benchRound(r.P99 / bareP99)
	}
	kept := res.Throughput() >= 0.95*rate && ref.Throughput() >= 0.95*rate
	r.Met = kept && r.P99 <= 2*bareP99 && r.Errors == 0
	if !kept {
		r.note("saturated: allot delivered %.0f, the bare handler %.0f of %.0f checks/s; the latencies are queueing", res.Throughput(), ref.Throughput(), rate)
	}
	r.extra("rate", rate)
	r.extra("bare_closed_throughput", math.Round(sat.Throughput()))
	r.extra("p99_le_1ms", r.P99 <= 1)
	r.extra("pacer_p99_ms", benchMS(res.PacerP99))
	r.extra("bare_p999_ms", benchMS(ref.Quantile(0.999)))
	r.note("open loop at %.0f checks/s, half the %.0f/s the bare handler sustained closed-loop; bare p99 %.3f ms, p99.9 %.3f ms", rate, sat.Throughput(), bareP99, benchMS(ref.Quantile(0.999)))
	benchNoteErr(r, res)
	return r, env.verify(ctx, env.db, r, s.samples, nil)
}

// openChecks sends W1's checks to base in an open loop at rate, after a
// warm-up at the same rate.
func (env *benchEnv) openChecks(ctx context.Context, base string, rate float64, s *benchSampler) *loadgen.Result {
	c := env.client(64)
	defer c.Close()
	if w := env.c.warmup(); w > 0 {
		loadgen.Open{Rate: rate, Duration: w, Workers: 64, Seed: 3}.Run(ctx, env.checkOp(c, benchBase(base), nil))
	}
	return loadgen.Open{Rate: rate, Duration: env.c.duration, Workers: 64, Seed: 2}.Run(ctx, env.checkOp(c, benchBase(base), s))
}

// w2 is batched checks: 100 checks per POST /api/check, closed loop of 32
// connections, compared with W1's checks per second.
func (env *benchEnv) w2(ctx context.Context, run int) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "≥ 1 M checks/s evaluated"}
	rng := rand.New(rand.NewPCG(benchSeed, 2))
	batches := make([][]benchQuery, 200)
	bodies := make([][]byte, len(batches))
	for i := range batches {
		for range 100 {
			batches[i] = append(batches[i], env.d.randomCheck(rng))
		}
		bodies[i] = benchChecksBody(batches[i])
	}
	s := newBenchSampler(1000, 50)
	c := env.client(32)
	defer c.Close()
	cpu := readCPU()
	res := loadgen.Closed{Workers: 32, Duration: env.c.duration, Warmup: env.c.warmup(), Seed: 4}.Run(ctx, func(ctx context.Context, w *loadgen.Worker) error {
		i := w.Rand.IntN(len(bodies))
		status, body, err := c.Do(ctx, http.MethodPost, env.base+"/api/check", bodies[i])
		if err != nil {
			return err
		}
		if err := loadgen.Expect(status, body, http.StatusOK); err != nil {
			return err
		}
		if s.want(w.Rand) {
			var out graph.CheckResults
			if err := json.Unmarshal(body, &out); err != nil {
				return err
			}
			if len(out.Results) != 100 {
				return fmt.Errorf("100 checks asked, %d answered", len(out.Results))
			}
			for j, a := range out.Results {
				s.add(benchSample{batches[i][j], a})
			}
		}
		return nil
	})
	r.gcShare(cpu)
	r.setLatency(res)
	r.Throughput = float64(int64(res.Throughput() * 100))
	w1 := env.last[fmt.Sprint("W1/", run)]
	if w1 == nil {
		r.note("W1 not run in this invocation: measured it (allot only) for the baseline")
		w1 = &benchResult{}
		w1.setLatency(env.measureChecks(ctx, env.base, nil))
	}
	r.Baseline = &benchBaseline{Name: "W1 (one check per GET)", Throughput: w1.Throughput}
	r.Ratio = benchRound(r.Throughput / w1.Throughput)
	r.Met = r.Throughput >= 1e6 && r.Errors == 0
	r.extra("requests_per_s", benchRound(res.Throughput()))
	benchNoteErr(r, res)
	return r, env.verify(ctx, env.db, r, s.samples, nil)
}
