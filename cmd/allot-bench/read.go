package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/internal/loadgen"
)

// This file holds the read workloads (W7 the Licenses page, W8 the user
// list) and the mixed load W9.

// readRate is the open-loop rate of the page workloads.
func (env *benchEnv) readRate() float64 {
	if env.c.smoke {
		return 50
	}
	return 100
}

// benchGetOp returns an operation fetching url and expecting 200.
func benchGetOp(c *loadgen.Client, url string) loadgen.Op {
	return func(ctx context.Context, w *loadgen.Worker) error {
		status, body, err := c.Do(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		return loadgen.Expect(status, body, http.StatusOK)
	}
}

// w7 is the Licenses page: GET /v1.0/subscribedSkus of the 1 M-user
// tenant in an open loop, against a raw GROUP BY over its licenses, and
// checked exact against it.
func (env *benchEnv) w7(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "p99 ≤ 2 ms and ≥ 20× faster than GROUP BY; consumedUnits exact"}
	counts, groupBy, err := env.groupBy(ctx)
	if err != nil {
		return nil, err
	}
	c := env.client(16)
	defer c.Close()
	url := env.base + "/v1.0/subscribedSkus"
	env.warmOpen(ctx, benchGetOp(c, url))
	cpu := readCPU()
	res := loadgen.Open{Rate: env.readRate(), Duration: env.c.duration, Workers: 16, Seed: 9}.Run(ctx, benchGetOp(c, url))
	r.gcShare(cpu)
	r.setLatency(res)
	benchNoteErr(r, res)
	sel := loadgen.Open{Rate: env.readRate(), Duration: env.c.duration / 2, Workers: 16, Seed: 10}.Run(ctx,
		benchGetOp(c, url+"?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits"))
	r.extra("select_p99_ms", benchMS(sel.Quantile(0.99)))
	r.note("with $select=skuId,skuPartNumber,consumedUnits,prepaidUnits (what the page shows): p99 %.3f ms", benchMS(sel.Quantile(0.99)))
	r.Baseline = &benchBaseline{Name: "raw SELECT sku_id, COUNT(*) FROM licenses WHERE tenant_id GROUP BY sku_id", P99: benchMS(groupBy)}
	r.Ratio = benchRound(float64(groupBy) / float64(res.Quantile(0.99)))
	r.Met = r.P99 <= 2 && r.Ratio >= 20 && r.Errors == 0
	return r, env.checkLicensesPage(ctx, r, env.base, counts)
}

// groupBy counts the big tenant's licenses per SKU with a raw GROUP BY,
// a few times, and returns the counts and the slowest time.
func (env *benchEnv) groupBy(ctx context.Context) (map[string]int, time.Duration, error) {
	var slowest time.Duration
	var counts map[string]int
	for range 5 {
		start := time.Now()
		rows, err := env.raw.QueryContext(ctx, `SELECT sku_id, COUNT(*) FROM licenses WHERE tenant_id = $1 GROUP BY sku_id`, env.d.big.id)
		if err != nil {
			return nil, 0, err
		}
		counts = map[string]int{}
		for rows.Next() {
			var sku string
			var n int
			if err := rows.Scan(&sku, &n); err != nil {
				rows.Close()
				return nil, 0, err
			}
			counts[sku] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		slowest = max(slowest, time.Since(start))
	}
	return counts, slowest, nil
}

// checkLicensesPage checks every SKU's consumedUnits on base against the
// rows.
func (env *benchEnv) checkLicensesPage(ctx context.Context, r *benchResult, base string, counts map[string]int) error {
	c, err := env.api(base)
	if err != nil {
		return err
	}
	skus, err := c.SubscribedSKUs(ctx, "skuId", "consumedUnits")
	if err != nil {
		return err
	}
	if len(skus) != len(env.d.skuIDs) {
		r.fail("subscribedSkus lists %d SKUs, the tenant holds %d", len(skus), len(env.d.skuIDs))
	}
	for _, v := range skus {
		if v.ConsumedUnits != counts[v.SKUID] {
			r.fail("SKU %s: consumedUnits %d, %d license rows", v.SKUID, v.ConsumedUnits, counts[v.SKUID])
		}
	}
	return nil
}

// w8 is the user list: users holding the popular SKU, 50 a page, page 1
// and page 10 000, against OFFSET paging.
func (env *benchEnv) w8(ctx context.Context) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "p99 ≤ 10 ms on page 1 and on page 10 000 (keyset)"}
	var holders []string
	for i := range env.d.users {
		if env.d.users[i].holds(benchSKUPopular) {
			holders = append(holders, env.d.users[i].id())
		}
	}
	page := min(10_000, len(holders)/50)
	after := (page - 1) * 50
	sku := env.d.skuIDs[benchSKUPopular]
	q := url.Values{"$filter": {"assignedLicenses/any(x:x/skuId eq " + sku + ")"}, "$top": {"50"}}
	first := env.base + "/v1.0/users?" + q.Encode()
	q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("u1:"+holders[after-1])))
	deep := env.base + "/v1.0/users?" + q.Encode()
	c := env.client(16)
	defer c.Close()
	for _, p := range []struct {
		url  string
		want []string
	}{{first, holders[:50]}, {deep, holders[after : after+50]}} {
		if err := env.checkUserPage(ctx, r, c, p.url, p.want); err != nil {
			return nil, err
		}
	}
	open := loadgen.Open{Rate: env.readRate(), Duration: env.c.duration / 2, Workers: 16, Seed: 11}
	env.warmOpen(ctx, benchGetOp(c, first))
	res1 := open.Run(ctx, benchGetOp(c, first))
	env.warmOpen(ctx, benchGetOp(c, deep))
	resN := open.Run(ctx, benchGetOp(c, deep))
	r.setLatency(resN)
	r.Ops += res1.Ops
	r.Errors += res1.Errors
	benchNoteErr(r, res1)
	benchNoteErr(r, resN)
	offset, err := env.offsetPage(ctx, sku, after)
	if err != nil {
		return nil, err
	}
	r.extra("page", page)
	r.extra("page1_p99_ms", benchMS(res1.Quantile(0.99)))
	r.note("latencies are page %d's; page 1: p99 %.3f ms", page, benchMS(res1.Quantile(0.99)))
	r.Baseline = &benchBaseline{Name: fmt.Sprintf("raw SELECT … ORDER BY user_id LIMIT 51 OFFSET %d", after), P99: benchMS(offset)}
	r.Ratio = benchRound(float64(offset) / float64(resN.Quantile(0.99)))
	r.Met = r.P99 <= 10 && benchMS(res1.Quantile(0.99)) <= 10 && r.Errors == 0
	return r, nil
}

// checkUserPage checks that a page lists exactly the users want.
func (env *benchEnv) checkUserPage(ctx context.Context, r *benchResult, c *loadgen.Client, url string, want []string) error {
	status, body, err := c.Do(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if err := loadgen.Expect(status, body, http.StatusOK); err != nil {
		return err
	}
	var page struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return err
	}
	var got []string
	for _, v := range page.Value {
		got = append(got, v.ID)
	}
	if !slices.Equal(got, want) {
		r.fail("the page after %d holders lists %d users that are not the %d expected", len(want), len(got), len(want))
	}
	return nil
}

// offsetPage times the same page read with OFFSET, the slowest of five.
func (env *benchEnv) offsetPage(ctx context.Context, sku string, offset int) (time.Duration, error) {
	var slowest time.Duration
	for range 5 {
		start := time.Now()
		rows, err := env.raw.QueryContext(ctx, `SELECT u.user_id, u.upn, u.display_name, u.usage_location FROM licenses l
			JOIN users u ON u.tenant_id = l.tenant_id AND u.user_id = l.user_id
			WHERE l.tenant_id = $1 AND l.sku_id = $2 AND u.deleted_at IS NULL ORDER BY l.user_id LIMIT 51 OFFSET $3`, env.d.big.id, sku, offset)
		if err != nil {
			return 0, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fmt.Errorf("OFFSET %d: no rows", offset)
		}
		slowest = max(slowest, time.Since(start))
	}
	return slowest, nil
}

// warmOpen sends op at the page workloads' rate for the warm-up time.
func (env *benchEnv) warmOpen(ctx context.Context, op loadgen.Op) {
	if w := env.c.warmup(); w > 0 {
		loadgen.Open{Rate: env.readRate(), Duration: w, Workers: 16, Seed: 13}.Run(ctx, op)
	}
}

// w9Rate is the total rate of the mixed load.
func (env *benchEnv) w9Rate() float64 {
	if env.c.smoke {
		return 1000
	}
	return 10000
}

// mixLatencies records the latencies of a mixed load: the first kind's
// (the checks') as r's, the other kinds' p99 and counts as extras.
// lat holds each kind's latencies, worker by worker.
func (r *benchResult) mixLatencies(kinds []string, lat [][][]time.Duration, res *loadgen.Result) {
	checks := &loadgen.Result{Elapsed: res.Elapsed}
	for k, name := range kinds {
		all := slices.Concat(lat[k]...)
		slices.Sort(all)
		kr := &loadgen.Result{Latencies: all}
		if k == 0 {
			checks.Latencies = all
		} else {
			r.extra(name+"_p99_ms", benchMS(kr.Quantile(0.99)))
			r.extra(name+"_ops", len(all))
		}
	}
	r.setLatency(checks)
	r.Ops, r.Errors, r.Throughput = res.Ops, res.Errors+res.Dropped, benchRound(res.Throughput())
}

// judgeW9 compares W9's checks with W1b's (ref) and says whether the
// target was met.
func (env *benchEnv) judgeW9(r *benchResult, res *loadgen.Result, ref *benchResult) {
	r.note("throughput is all requests; latencies are the checks' (95 %%); reads: 3.5 %% GET /v1.0/users/{id}, 0.5 %% GET /v1.0/subscribedSkus (each costs ~4 ms of CPU and ~3 MB of garbage)")
	benchNoteErr(r, res)
	r.Baseline = &benchBaseline{Name: "W1b check p99", P99: ref.P99}
	if ref.P99 > 0 {
		r.Ratio = benchRound(r.P99 / ref.P99)
	}
	// A saturated open loop measures queueing, not the server: both W9
	// and its reference must have kept up with their rates.
	refRate, _ := ref.Extra["rate"].(float64)
	kept := res.Throughput() >= 0.95*env.w9Rate() && ref.Throughput >= 0.95*refRate
	if !kept {
		r.note("saturated: W9 delivered %.0f of %.0f requests/s, W1b %.0f of %.0f checks/s; the latencies are queueing", res.Throughput(), env.w9Rate(), ref.Throughput, refRate)
	}
	r.Met = kept && r.P99 <= 2*ref.P99 && r.Errors == 0
}

// w9 is a mixed open loop: 95 % checks, 4 % reads (a user; the Licenses
// page), 1 % assignments; the checks' p99 is compared with W1b's.
func (env *benchEnv) w9(ctx context.Context, run int) (*benchResult, error) {
	r := &benchResult{Correct: true, Target: "check p99 ≤ 2× W1b's p99"}
	ref := env.last[fmt.Sprint("W1b/", run)]
	if ref == nil {
		r.note("W1b not run in this invocation: measured it for the reference")
		var err error
		if ref, err = env.w1b(ctx); err != nil {
			return nil, err
		}
	}
	const workers = 64
	kinds := []string{"check", "user", "licenses", "assign"}
	lat := make([][][]time.Duration, len(kinds)) // kind -> worker -> latencies
	for k := range lat {
		lat[k] = make([][]time.Duration, workers)
	}
	c := env.client(workers)
	defer c.Close()
	sku := env.d.skuIDs[benchSKUMixed]
	body := benchAssignBody(sku)
	var assigned, assignedOK atomic.Int64
	s := newBenchSampler(1000, int(env.w9Rate()*env.c.duration.Seconds())/1000)
	check := env.checkOp(c, benchBase(env.base), s)
	cpu := readCPU()
	res := loadgen.Open{Rate: env.w9Rate(), Duration: env.c.duration, Workers: workers, Seed: 12}.Run(ctx, func(ctx context.Context, w *loadgen.Worker) error {
		var err error
		k := 0
		switch n := w.Rand.IntN(1000); {
		case n < 950:
			err = check(ctx, w)
		case n < 985:
			k = 1
			err = benchGetOp(c, env.base+"/v1.0/users/"+env.d.users[w.Rand.IntN(len(env.d.users))].id())(ctx, w)
		case n < 990:
			k = 2
			err = benchGetOp(c, env.base+"/v1.0/subscribedSkus")(ctx, w)
		default:
			k = 3
			i := int(assigned.Add(1) - 1)
			status, b, e := c.Do(ctx, http.MethodPost, env.base+"/v1.0/users/"+env.d.users[i].id()+"/assignLicense", body)
			if err = e; err == nil {
				if err = loadgen.Expect(status, b, http.StatusOK); err == nil {
					assignedOK.Add(1)
				}
			}
		}
		lat[k][w.ID] = append(lat[k][w.ID], time.Since(w.Start))
		return err
	})
	r.gcShare(cpu)
	r.mixLatencies(kinds, lat, res)
	env.judgeW9(r, res, ref)
	n := int(assigned.Load())
	if err := env.verify(ctx, env.db, r, s.samples, func(ui int) bool { return ui < n }); err != nil {
		return nil, err
	}
	if err := env.checkSKU(ctx, r, benchSKUMixed, int(assignedOK.Load())); err != nil {
		return nil, err
	}
	return r, env.bulkSystem(ctx, env.userIDs(0, n), allot.LicenseChange{Remove: []string{sku}})
}
