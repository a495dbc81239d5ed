package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/internal/loadgen"
	"github.com/allot-project/allot/internal/pglocal"
	"github.com/allot-project/allot/sqlstore"
)

// This file is W11: W1, W3, W5 and W7 on PostgreSQL with 1 and 3 real
// "allot serve" processes sharing the database, and W4's race through the
// 3 processes.

// benchPG is W11's PostgreSQL, started and loaded once per invocation;
// every run leaves the data set as it found it.
type benchPG struct {
	srv      *pglocal.Server
	dsn      string
	pe       *benchEnv
	imported time.Duration
}

func (pg *benchPG) close() {
	pg.pe.db.Close()
	pg.pe.raw.Close()
	pg.srv.Stop()
}

// w11 runs W11 and returns one line per measure and process count.
func (env *benchEnv) w11(ctx context.Context) ([]*benchResult, error) {
	if env.pg == nil {
		srv, err := pglocal.Start(ctx, pglocal.Options{})
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL: %w", err)
		}
		dsn, err := srv.CreateDatabase(ctx, "allot_bench")
		if err != nil {
			srv.Stop()
			return nil, err
		}
		pe, imported, err := env.pgEnv(ctx, dsn)
		if err != nil {
			srv.Stop()
			return nil, err
		}
		env.pg = &benchPG{srv: srv, dsn: dsn, pe: pe, imported: imported}
	}
	pe := env.pg.pe
	sqliteW1, err := env.sqliteReference(ctx)
	if err != nil {
		return nil, err
	}
	pe.binary = env.binary
	var out []*benchResult
	var w3one float64
	for _, n := range []int{1, 3} {
		lines, thr, err := pe.pgRound(ctx, env.pg.dsn, n, sqliteW1, w3one)
		if err != nil {
			return out, err
		}
		w3one = thr
		out = append(out, lines...)
	}
	for _, r := range out {
		r.note("PostgreSQL from pglocal (fsync and synchronous_commit off); %d users imported in %.1f s, then VACUUM ANALYZE", len(pe.d.users), env.pg.imported.Seconds())
	}
	return out, nil
}

// pgEnv imports the data set (of --pg-users users) into PostgreSQL and
// returns an environment for the workloads over it.
func (env *benchEnv) pgEnv(ctx context.Context, dsn string) (*benchEnv, time.Duration, error) {
	size := env.d.size
	size.Users = env.c.pgUsers
	start := time.Now()
	d := generateBench(size, true)
	if err := importBench(ctx, dsn, d); err != nil {
		return nil, 0, fmt.Errorf("import into PostgreSQL: %w", err)
	}
	took := time.Since(start)
	env.c.logf("data set of %d users imported into PostgreSQL in %s", size.Users, took.Round(time.Millisecond))
	if err := benchVacuum(ctx, dsn); err != nil {
		return nil, 0, err
	}
	env.c.logf("VACUUM ANALYZE in %s", (time.Since(start) - took).Round(time.Millisecond))
	pe := &benchEnv{c: env.c, d: d, commit: env.commit, machine: env.machine, procs: env.procs, last: map[string]*benchResult{}, binary: env.binary}
	var err error
	if pe.db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{Catalog: d.catalog}); err != nil {
		return nil, 0, err
	}
	if err := benchSettle(ctx, pe.db, env.c.logf); err != nil {
		pe.db.Close()
		return nil, 0, err
	}
	if pe.raw, err = sql.Open("pgx", dsn); err != nil {
		pe.db.Close()
		return nil, 0, err
	}
	if pe.token, _, err = pe.db.CreateToken(ctx, d.big.id, d.adminUPN, 24*time.Hour); err != nil {
		return nil, 0, err
	}
	subs, err := pe.db.FindSubscriptions(ctx, pe.system())
	if err != nil {
		return nil, 0, err
	}
	pe.subIDs = make([]string, len(d.skuIDs))
	for _, s := range subs {
		for i, id := range d.skuIDs {
			if id == s.SKUID {
				pe.subIDs[i] = s.ID
			}
		}
	}
	return pe, took, nil
}

// benchVacuum vacuums and analyzes the imported tables, which Import
// leaves to autovacuum: measured without it, the first minutes compete with
// autovacuum and plan with no statistics.
func benchVacuum(ctx context.Context, dsn string) error {
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer raw.Close()
	_, err = raw.ExecContext(ctx, `VACUUM (ANALYZE)`)
	return err
}

// sqliteReference measures W1 against the real binary on the SQLite
// working copy, which W11's W1 is compared with.
func (env *benchEnv) sqliteReference(ctx context.Context) (float64, error) {
	procs, err := env.startServers(ctx, env.dbPath, 1)
	if err != nil {
		return 0, err
	}
	defer procs[0].stop()
	res := env.measureChecks(ctx, procs[0].base, nil)
	if res.FirstErr != nil {
		return 0, res.FirstErr
	}
	env.c.logf("W11 reference: W1 on SQLite through the real binary: %.0f checks/s", res.Throughput())
	return res.Throughput(), nil
}

// pgRound runs the measures with n processes and returns their lines and
// W3's throughput.
func (pe *benchEnv) pgRound(ctx context.Context, dsn string, n int, sqliteW1, w3one float64) ([]*benchResult, float64, error) {
	procs, err := pe.startServers(ctx, dsn, n)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	bases := make([]string, n)
	for i, p := range procs {
		bases[i] = p.base
	}
	pe.base = bases[0]
	type step struct {
		name, target string
		run          func(r *benchResult) (*benchResult, error)
	}
	var w3 float64
	steps := []step{
		{"W1", "≥ 50 % of W1 on SQLite (the same binary)", func(r *benchResult) (*benchResult, error) { return pe.pgW1(ctx, r, bases, sqliteW1) }},
		{"W7", "p99 ≤ 2 ms (as on SQLite); consumedUnits exact", func(r *benchResult) (*benchResult, error) { return pe.pgW7(ctx, r, bases) }},
		{"W5", "≤ 1 s end to end; check p99 ≤ 5 ms meanwhile; every process converges", func(r *benchResult) (*benchResult, error) { return pe.pgW5(ctx, r, bases) }},
		{"W3", "3 processes ahead of 1", func(r *benchResult) (*benchResult, error) {
			r, err := pe.pgW3(ctx, r, bases, w3one)
			if r != nil {
				w3 = r.Throughput
			}
			return r, err
		}},
	}
	if n > 1 {
		steps = append(steps, step{"W4", "W4's invariant with the racers spread over the processes", func(r *benchResult) (*benchResult, error) { return pe.pgW4(ctx, r, bases) }})
	}
	var out []*benchResult
	for _, st := range steps {
		r := &benchResult{Workload: "W11/" + st.name, Backend: fmt.Sprintf("postgres-%dproc", n), Correct: true, Target: st.target}
		r.extra("processes", n)
		if _, err := st.run(r); err != nil { // report it and go on with the other measures
			pe.c.logf("W11/%s with %d processes: %v", st.name, n, err)
			r.Correct, r.Met = false, false
			r.note("error: %v", err)
		}
		out = append(out, r)
	}
	return out, w3, nil
}

// pgW1 is W1 spread round-robin over the processes.
func (pe *benchEnv) pgW1(ctx context.Context, r *benchResult, bases []string, sqliteW1 float64) (*benchResult, error) {
	s := newBenchSampler(1000, 100)
	res := pe.measureChecksOn(ctx, roundRobin(bases), s)
	r.setLatency(res)
	benchNoteErr(r, res)
	r.Baseline = &benchBaseline{Name: "W1 on SQLite through the same binary, one process", Throughput: benchRound(sqliteW1)}
	r.Ratio = benchRound(res.Throughput() / sqliteW1)
	r.Met = r.Ratio >= 0.5 && r.Errors == 0
	return r, pe.verify(ctx, pe.db, r, s.samples, nil)
}

// pgW7 is the Licenses page, spread over the processes.
func (pe *benchEnv) pgW7(ctx context.Context, r *benchResult, bases []string) (*benchResult, error) {
	counts, groupBy, err := pe.groupBy(ctx)
	if err != nil {
		return nil, err
	}
	c := pe.client(16)
	defer c.Close()
	res := loadgen.Open{Rate: pe.readRate(), Duration: pe.c.duration, Workers: 16, Seed: 9}.Run(ctx, func(ctx context.Context, w *loadgen.Worker) error {
		return benchGetOp(c, bases[w.ID%len(bases)]+"/v1.0/subscribedSkus")(ctx, w)
	})
	r.setLatency(res)
	benchNoteErr(r, res)
	r.Baseline = &benchBaseline{Name: "raw GROUP BY over the tenant's licenses (PostgreSQL)", P99: benchMS(groupBy)}
	r.Ratio = benchRound(float64(groupBy) / float64(res.Quantile(0.99)))
	r.Met = r.P99 <= 2 && r.Errors == 0
	for _, b := range bases {
		if err := pe.checkLicensesPage(ctx, r, b, counts); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// pgW5 is W5 through the first process with the checks spread over all;
// then every process must answer for the users changed, and their data
// must be what the data rules say, as in W5.
func (pe *benchEnv) pgW5(ctx context.Context, r *benchResult, bases []string) (*benchResult, error) {
	ids, sku := pe.userIDs(0, pe.d.bulk), pe.d.skuIDs[benchSKURemove]
	before, err := pe.keepUserData(ctx, ids)
	if err != nil {
		return nil, err
	}
	took, checks, err := pe.bulkWithChecks(ctx, r, bases[0], roundRobin(bases), benchBulkBody(ids, "", sku), len(ids))
	if err != nil {
		return nil, err
	}
	r.setLatency(checks)
	r.Throughput = benchRound(float64(len(ids)) / took.Seconds())
	r.extra("seconds", benchRound(took.Seconds()))
	conv, err := pe.converge(ctx, bases, benchSKURemove)
	if err != nil {
		return nil, err
	}
	r.extra("converged_s", benchRound(conv.Seconds()))
	r.note("throughput is users unassigned per second; every process answered right %.2f s after the request returned", conv.Seconds())
	r.Met = took <= time.Second && r.P99 <= 5 && r.Errors == 0
	if err := benchCheckCounters(ctx, pe.db, r); err != nil {
		return nil, err
	}
	for _, b := range bases {
		if err := pe.checkRemoved(ctx, r, b, pe.db, benchSKURemove); err != nil {
			return nil, err
		}
	}
	if err := pe.checkBulkData(ctx, r, ids, before, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: sku}}}); err != nil {
		return nil, err
	}
	_, err = pe.converge(ctx, bases, benchSKURemove)
	return r, err
}

// converge waits until every process answers checks about SKU s for users
// [0, B) as the database does, and returns how long that took.
func (pe *benchEnv) converge(ctx context.Context, bases []string, s int) (time.Duration, error) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(benchSeed, 11))
	var qs []benchQuery
	for range 200 {
		ui := rng.IntN(pe.d.bulk)
		qs = append(qs, benchQuery{ui: ui, user: pe.d.users[ui].id(), plan: pe.d.skuPlans[s][rng.IntN(len(pe.d.skuPlans[s]))]})
	}
	for _, b := range bases {
		for {
			probe := &benchResult{Correct: true}
			if _, err := pe.sweep(ctx, pe.db, probe, b, qs, len(qs)); err != nil {
				return 0, err
			}
			if probe.Correct {
				break
			}
			if time.Since(start) > 5*time.Minute {
				return 0, fmt.Errorf("%w within 5 minutes: %s", errNotConverged, probe.Notes)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return time.Since(start), nil
}

// pgW3 is W3 spread over the processes; no raw baseline on PostgreSQL:
// with 3 processes it is compared with 1.
func (pe *benchEnv) pgW3(ctx context.Context, r *benchResult, bases []string, one float64) (*benchResult, error) {
	res, tried, done := pe.assignLoad(ctx, bases...)
	r.setLatency(res)
	benchNoteErr(r, res)
	if one > 0 {
		r.Baseline = &benchBaseline{Name: "W3 on PostgreSQL with 1 process", Throughput: one}
		r.Ratio = benchRound(res.Throughput() / one)
		r.Met = r.Ratio > 1 && r.Errors == 0
	} else {
		r.Met = r.Errors == 0
		r.Target = "(the reference for 3 processes)"
	}
	if err := pe.checkSKU(ctx, r, benchSKUAssign, done); err != nil {
		return nil, err
	}
	return r, pe.bulkSystem(ctx, pe.userIDs(0, tried), allot.LicenseChange{Remove: []string{pe.d.skuIDs[benchSKUAssign]}})
}

// pgW4 races the last seats through all the processes.
func (pe *benchEnv) pgW4(ctx context.Context, r *benchResult, bases []string) (*benchResult, error) {
	total, err := pe.raceRounds(ctx, r, pe.raceSKU(bases[0]), bases...)
	if err != nil {
		return nil, err
	}
	r.note("%d rounds; latencies are the losers' (W11 asks only W4's invariant of them)", total)
	r.Met = r.Errors == 0 // the invariant itself is checked by race: r.Correct
	return r, pe.setSeats(ctx, benchSKURace, 1)
}
