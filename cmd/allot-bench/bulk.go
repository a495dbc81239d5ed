package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/internal/loadgen"
)

// This file holds the bulk workloads: W5 (remove a SKU from 100 k users
// while checks go on) and W6 (assign a SKU to 100 k users, then refuse one
// seat short).

// benchBulkBody is an allOrNothing /api/bulkAssignLicense body adding
// the SKU add and removing the SKU remove ("" for none).
func benchBulkBody(ids []string, add, remove string) []byte {
	req := graph.BulkRequest{Users: ids, AddLicenses: []graph.AssignedLicense{}, RemoveLicenses: []string{}, Mode: graph.BulkAllOrNothing}
	if add != "" {
		req.AddLicenses = append(req.AddLicenses, graph.AssignedLicense{SKUID: add, DisabledPlans: []string{}})
	}
	if remove != "" {
		req.RemoveLicenses = append(req.RemoveLicenses, remove)
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return b
}

// benchPostBulk sends a bulk change and returns its status, answer body and
// the time it took end to end.
func benchPostBulk(ctx context.Context, c *loadgen.Client, base string, body []byte) (int, []byte, time.Duration, error) {
	start := time.Now()
	status, b, err := c.Do(ctx, http.MethodPost, base+"/api/bulkAssignLicense", body)
	return status, b, time.Since(start), err
}

// w5Rate is the rate of the checks sent during W5's bulk change.
func (env *benchEnv) w5Rate() float64 {
	if env.c.smoke {
		return 500
	}
	return 5000
}

// w5 is a bulk unassignment: one allOrNothing request removes a SKU from
// B users while checks arrive at 5 k/s; compared with a raw DELETE.
func (env *benchEnv) w5(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "≤ 1 s end to end and ≤ 10× the raw DELETE; check p99 ≤ 5 ms meanwhile"}
	ids, sku := env.userIDs(0, env.d.bulk), env.d.skuIDs[benchSKURemove]
	before, err := env.keepUserData(ctx, ids) // before the baseline, which then reads as warm a cache as the change
	if err != nil {
		return nil, err
	}
	raw, err := env.rawDelete(ctx, sku)
	if err != nil {
		return nil, fmt.Errorf("raw baseline: %w", err)
	}
	took, checks, err := env.bulkWithChecks(ctx, r, env.base, benchBase(env.base), benchBulkBody(ids, "", sku), len(ids))
	if err != nil {
		return nil, err
	}
	r.setLatency(checks)
	r.Throughput = benchRound(float64(len(ids)) / took.Seconds())
	r.Baseline = &benchBaseline{Name: "raw DELETE FROM licenses WHERE tenant_id AND sku_id, one transaction (rolled back)", Seconds: benchRound(raw.Seconds())}
	r.Ratio = benchRound(took.Seconds() / raw.Seconds())
	r.extra("seconds", benchRound(took.Seconds()))
	r.extra("users", len(ids))
	r.note("throughput is users unassigned per second; latencies are the checks' sent at %.0f/s during the request", env.w5Rate())
	r.Met = took <= time.Second && r.Ratio <= 10 && r.P99 <= 5 && r.Errors == 0
	if err := benchCheckCounters(ctx, env.db, r); err != nil {
		return nil, err
	}
	if err := env.checkRemoved(ctx, r, env.base, env.db, benchSKURemove); err != nil {
		return nil, err
	}
	return r, env.checkBulkData(ctx, r, ids, before, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: sku}}})
}

// bulkWithChecks sends the bulk body to base while checks go to
// checkBase at W5's rate, and returns the bulk's time and the checks'
// latencies.
func (env *benchEnv) bulkWithChecks(ctx context.Context, r *benchResult, base string, checkBase func(*loadgen.Worker) string, body []byte, want int) (time.Duration, *loadgen.Result, error) {
	cc := env.client(32)
	defer cc.Close()
	stop := make(chan struct{})
	done := make(chan *loadgen.Result, 1)
	go func() {
		done <- loadgen.Open{Rate: env.w5Rate(), Duration: 10 * time.Minute, Workers: 32, Seed: 8, Until: stop}.Run(ctx, env.checkOp(cc, checkBase, nil))
	}()
	c := env.bulkClient()
	defer c.Close()
	time.Sleep(20 * time.Millisecond) // let the checks start first
	status, b, took, err := benchPostBulk(ctx, c, base, body)
	close(stop)
	checks := <-done
	if err != nil {
		return 0, nil, err
	}
	if err := loadgen.Expect(status, b, http.StatusOK); err != nil {
		return 0, nil, err
	}
	var a graph.BulkResponse
	if err := json.Unmarshal(b, &a); err != nil {
		return 0, nil, err
	}
	if a.Changed != want || a.Failed != 0 {
		r.fail("bulk change: %d users changed and %d failed, want %d and 0", a.Changed, a.Failed, want)
	}
	benchNoteErr(r, checks)
	return took, checks, nil
}

// checkRemoved asks checks of users [0, B) about plans of SKU s, which
// they no longer hold, verifies the answers and that none names s.
func (env *benchEnv) checkRemoved(ctx context.Context, r *benchResult, base string, src allot.EntitlementSource, s int) error {
	rng := rand.New(rand.NewPCG(benchSeed, 5))
	var qs []benchQuery
	for range env.sweepSize() {
		ui := rng.IntN(env.d.bulk)
		qs = append(qs, benchQuery{ui: ui, user: env.d.users[ui].id(), plan: env.d.skuPlans[s][rng.IntN(len(env.d.skuPlans[s]))]})
	}
	samples, err := env.sweep(ctx, src, r, base, qs, len(qs))
	if err != nil {
		return err
	}
	for _, smp := range samples {
		if smp.got.SKUID == env.d.skuIDs[s] {
			r.fail("user %s is still licensed through the SKU removed", smp.q.user)
			break
		}
	}
	return nil
}

// rawDelete times W5's baseline: the same rows deleted by one raw DELETE
// in a transaction of our own, rolled back.
func (env *benchEnv) rawDelete(ctx context.Context, sku string) (time.Duration, error) {
	var took time.Duration
	err := env.rawWrite(ctx, func(tx *sql.Tx) error {
		start := time.Now()
		_, err := tx.ExecContext(ctx, `DELETE FROM licenses WHERE tenant_id = ? AND sku_id = ?`, env.d.big.id, sku)
		took = time.Since(start)
		return err
	})
	return took, err
}

// rawWrite runs fn in a write transaction on a raw connection to the
// working copy and rolls it back.
func (env *benchEnv) rawWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db, err := sql.Open("sqlite", "file:"+env.dbPath+"?_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// rawInsert times W6's baseline: the same license rows written with
// multi-row INSERTs of 500 rows and the counter moved, in a transaction
// rolled back.
func (env *benchEnv) rawInsert(ctx context.Context, sku string, ids []string) (time.Duration, error) {
	var took time.Duration
	err := env.rawWrite(ctx, func(tx *sql.Tx) error {
		start := time.Now()
		now := time.Now().UnixMicro()
		for from := 0; from < len(ids); from += 500 {
			chunk := ids[from:min(from+500, len(ids))]
			q := `INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, '', '', ?), ", len(chunk)), ", ")
			args := make([]any, 0, 4*len(chunk))
			for _, id := range chunk {
				args = append(args, env.d.big.id, id, sku, now)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE seat_pools SET consumed = consumed + ? WHERE tenant_id = ? AND sku_id = ? AND pool = ''`, len(ids), env.d.big.id, sku)
		took = time.Since(start)
		return err
	})
	return took, err
}

// w6 is a bulk assignment of a SKU to B users, then the same one seat
// short, which must be refused cleanly with nothing assigned.
func (env *benchEnv) w6(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "≤ 1.5 s; one seat short → a clean refusal, nothing assigned"}
	ids, sku := env.userIDs(env.d.bulk, 2*env.d.bulk), env.d.skuIDs[benchSKUAdd]
	before, err := env.keepUserData(ctx, ids) // before the baseline, which then reads as warm a cache as the change
	if err != nil {
		return nil, err
	}
	raw, err := env.rawInsert(ctx, sku, ids)
	if err != nil {
		return nil, fmt.Errorf("raw baseline: %w", err)
	}
	c := env.bulkClient()
	defer c.Close()
	body := benchBulkBody(ids, sku, "")
	cpu := processCPU()
	status, b, took, err := benchPostBulk(ctx, c, env.base, body)
	cpu = processCPU() - cpu
	if err != nil {
		return nil, err
	}
	if err := loadgen.Expect(status, b, http.StatusOK); err != nil {
		return nil, err
	}
	var a graph.BulkResponse
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	if a.Changed != len(ids) {
		r.fail("bulk assignment changed %d users, want %d", a.Changed, len(ids))
	}
	if err := env.checkSKU(ctx, r, benchSKUAdd, len(ids)); err != nil {
		return nil, err
	}
	r.Ops, r.Throughput = 1, benchRound(float64(len(ids))/took.Seconds())
	r.P50, r.P95, r.P99, r.P999, r.Max = benchMS(took), benchMS(took), benchMS(took), benchMS(took), benchMS(took)
	r.Baseline = &benchBaseline{Name: "raw multi-row INSERT (500 rows a statement) + counter UPDATE, one transaction (rolled back)", Seconds: benchRound(raw.Seconds())}
	r.Ratio = benchRound(took.Seconds() / raw.Seconds())
	r.extra("seconds", benchRound(took.Seconds()))
	r.extra("cpu_seconds", benchRound(cpu.Seconds()))
	r.extra("users", len(ids))
	if err := env.checkBulkData(ctx, r, ids, before, allot.LicenseChange{Remove: []string{sku}}); err != nil {
		return nil, err
	}
	refused, err := env.oneSeatShort(ctx, r, c, body, len(ids))
	if err != nil {
		return nil, err
	}
	r.extra("refusal_seconds", benchRound(refused.Seconds()))
	r.note("throughput is users assigned per second; the refusal one seat short took %s; cpu_seconds is the CPU the bench process, allot's server in it, used during the assignment (steadier than its time on a shared machine)", refused.Round(time.Millisecond))
	r.Met = took <= 1500*time.Millisecond && r.Errors == 0
	return r, nil
}

// oneSeatShort sets the SKU's seats to n-1 and sends the n-user bulk
// again: it must be refused with CountViolation and assign nothing.
func (env *benchEnv) oneSeatShort(ctx context.Context, r *benchResult, c *loadgen.Client, body []byte, n int) (time.Duration, error) {
	if err := env.setSeats(ctx, benchSKUAdd, n-1); err != nil {
		return 0, err
	}
	status, b, took, err := benchPostBulk(ctx, c, env.base, body)
	if err != nil {
		return 0, err
	}
	if code := benchErrorCode(b); status != http.StatusBadRequest || code != allot.ECOUNTVIOLATION {
		r.fail("one seat short: HTTP %d %q, want 400 CountViolation", status, code)
	}
	if err := env.checkSKU(ctx, r, benchSKUAdd, 0); err != nil {
		return 0, err
	}
	return took, env.setSeats(ctx, benchSKUAdd, env.d.bulk+100)
}
