package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/internal/loadgen"
)

// This file holds W12, the Graph reads, measured against the real "allot
// serve" binary (so that the load generator runs in a process of its own)
// side by side with the bare handler's process.

// benchReader is a tenant W12 reads from: its users' ids, a token of one
// of its Global Administrators, the server that serves it (base; "" for
// the shared "allot serve") and the database its answers are checked
// against (nil for the working copy).
type benchReader struct {
	name, id, token string
	users           []string
	base            string
	raw             *sql.DB
	proc            *benchProc
}

// close stops the reader's own server, if it has one.
func (t *benchReader) close() {
	if t.proc != nil {
		t.proc.stop()
	}
	if t.raw != nil {
		t.raw.Close()
	}
}

// benchGraphRead is one of W12's requests.
type benchGraphRead struct {
	name string
	path func(id string) string // the request's path, given a random user's id
}

// benchGraphReads are the requests W12 measures.
var benchGraphReads = []benchGraphRead{
	{"licenseDetails", func(id string) string { return "/v1.0/users/" + id + "/licenseDetails" }},
	{"user", func(id string) string { return "/v1.0/users/" + id }},
	{"subscribedSkus", func(string) string { return "/v1.0/subscribedSkus" }},
}

// readServer returns the "allot serve" process W12 and W13 read from,
// starting it on the working copy on first use, after the set-up both
// need: a Global Administrator of the demo-sized tenant (W12) and a
// password for the big tenant's administrator (W13).
func (env *benchEnv) readServer(ctx context.Context) (*benchProc, error) {
	if env.served != nil {
		return env.served, nil
	}
	if err := env.setUpReaders(ctx); err != nil {
		return nil, err
	}
	procs, err := env.startServers(ctx, env.dbPath, 1)
	if err != nil {
		return nil, err
	}
	env.served = procs[0]
	c := env.client(1)
	defer c.Close()
	loaded, err := env.served.waitLoaded(ctx, c, 5*time.Minute) // measure the loaded server, not its start
	if err != nil {
		return nil, err
	}
	env.c.logf("allot serve's index loaded in %s", loaded.Round(time.Millisecond))
	return env.served, nil
}

// benchPassword is the big tenant administrator's password, for W13.
const benchPassword = "allot bench password"

// setUpReaders prepares the tenants W12 reads from: the demo tenant (its
// own "allot serve --demo", see demoReader), the big one and the first
// small one (100 users, 20 SKUs of 25 plans: a demo tenant's users, but
// four times its products and fifteen times its plans), whose first user
// is made a Global Administrator; it also sets W13's password.
func (env *benchEnv) setUpReaders(ctx context.Context) error {
	if err := env.db.SetPassword(ctx, env.d.big.id, env.d.adminUPN, benchPassword); err != nil {
		return fmt.Errorf("set the administrator's password: %w", err)
	}
	big := &benchReader{name: "big", id: env.d.big.id, token: env.token, users: make([]string, len(env.d.users))}
	for i := range env.d.users {
		big.users[i] = env.d.users[i].id()
	}
	small := &benchReader{name: "small", id: env.d.small[0].id}
	rows, err := env.raw.QueryContext(ctx, `SELECT user_id, upn FROM users WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY user_id`, small.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	var adminID, adminUPN string
	for rows.Next() {
		var id, upn string
		if err := rows.Scan(&id, &upn); err != nil {
			return err
		}
		small.users = append(small.users, id)
		if strings.HasPrefix(upn, "user000@") {
			adminID, adminUPN = id, upn
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if adminID == "" {
		return fmt.Errorf("the small tenant %s has no user000", env.d.small[0].domain)
	}
	if err := env.db.AssignRole(ctx, allot.SystemPrincipal(small.id, "allot bench"), adminID, allot.RoleGlobalAdmin); err != nil {
		return fmt.Errorf("make %s a Global Administrator: %w", adminUPN, err)
	}
	if small.token, _, err = env.db.CreateToken(ctx, small.id, adminUPN, 24*time.Hour); err != nil {
		return fmt.Errorf("token of %s: %w", adminUPN, err)
	}
	demo, err := env.demoReader(ctx)
	if err != nil {
		return err
	}
	env.readers = []*benchReader{demo, small, big}
	return nil
}

// demoReader starts "allot serve --demo" on a new database beside the
// working copy: the demo tenant exactly as the README's first command
// makes it, on the demo catalog, in a process of its own. Its
// administrator's token is the one the server prints.
func (env *benchEnv) demoReader(ctx context.Context) (_ *benchReader, err error) {
	path := filepath.Join(filepath.Dir(env.dbPath), "demo.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	p, err := env.startServeWith(ctx, "--demo", "--db", path)
	if err != nil {
		return nil, err
	}
	t := &benchReader{name: "demo", proc: p, base: p.base}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	c := env.client(1)
	defer c.Close()
	if _, err := p.waitLoaded(ctx, c, time.Minute); err != nil {
		return nil, err
	}
	// The token is printed once the server listens, which can be after a
	// small index has loaded.
	m, err := p.waitLog(ctx, regexp.MustCompile(`ALLOT_TOKEN=(\S+)`), 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("allot serve --demo printed no token: %w", err)
	}
	t.token = m[1]
	if t.raw, err = sql.Open("sqlite", "file:"+path+"?mode=ro"); err != nil {
		return nil, err
	}
	rows, err := t.raw.QueryContext(ctx, `SELECT tenant_id, user_id FROM users WHERE deleted_at IS NULL ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&t.id, &id); err != nil {
			return nil, err
		}
		t.users = append(t.users, id)
	}
	if err := rows.Err(); err != nil || len(t.users) == 0 {
		return nil, fmt.Errorf("the demo tenant's users: %d, %v", len(t.users), err)
	}
	return t, nil
}

// w12 is the Graph reads: each of benchGraphReads on each tenant in a
// closed loop of 32 connections against "allot serve", compared with the
// bare handler under the same loop; a sample of every answer is compared
// with the database.
func (env *benchEnv) w12(ctx context.Context) ([]*benchResult, error) {
	p, err := env.readServer(ctx)
	if err != nil {
		return nil, err
	}
	bare, err := env.bare(ctx)
	if err != nil {
		return nil, err
	}
	big := env.readers[len(env.readers)-1]
	ref := env.closedReads(ctx, bare, big, benchGraphReads[0], nil)
	if ref.Throughput() <= 0 {
		return nil, fmt.Errorf("the bare handler answered nothing: %v", ref.FirstErr)
	}
	var out []*benchResult
	for _, t := range env.readers {
		for _, g := range benchGraphReads {
			r := &benchResult{Workload: "W12/" + g.name + "/" + t.name, Correct: true, Target: "≥ 0.5× the bare handler's throughput"}
			s := &benchBodies{max: 200, every: 50}
			base := p.base
			if t.base != "" {
				base = t.base
			}
			res := env.closedReads(ctx, base, t, g, s)
			r.setLatency(res)
			benchNoteErr(r, res)
			r.Baseline = &benchBaseline{Name: bareName + ", GET …/users/{id}/licenseDetails", Throughput: benchRound(ref.Throughput()), P99: benchMS(ref.Quantile(0.99))}
			r.Ratio = benchRound(res.Throughput() / ref.Throughput())
			r.Met = r.Ratio >= 0.5 && r.Errors == 0 && benchMeasured(r, res)
			r.extra("tenant_users", len(t.users))
			r.note("GET %s on the %s tenant (%d users) against allot serve, 32 connections", g.path("{id}"), t.name, len(t.users))
			if err := env.verifyReads(ctx, r, t, g.name, s.samples); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// closedReads runs W12's closed loop of request g on t's users against
// base, sampling the answers into s when it is not nil.
func (env *benchEnv) closedReads(ctx context.Context, base string, t *benchReader, g benchGraphRead, s *benchBodies) *loadgen.Result {
	c := loadgen.NewClient(32, http.Header{"Authorization": {"Bearer " + t.token}})
	defer c.Close()
	return loadgen.Closed{Workers: 32, Duration: env.c.duration, Warmup: env.c.warmup(), Seed: 14}.Run(ctx, func(ctx context.Context, w *loadgen.Worker) error {
		id := t.users[w.Rand.IntN(len(t.users))]
		status, body, err := c.Do(ctx, http.MethodGet, base+g.path(id), nil)
		if err != nil {
			return err
		}
		if err := loadgen.Expect(status, body, http.StatusOK); err != nil {
			return err
		}
		if s != nil {
			s.add(w.Rand, id, body)
		}
		return nil
	})
}

// benchBodies keeps up to max answers, the first and then one in every,
// with the user asked.
type benchBodies struct {
	mu      sync.Mutex
	max     int
	every   int
	samples []benchBody
}

// benchBody is an answer kept to be compared with the database.
type benchBody struct {
	id   string
	body []byte
}

func (s *benchBodies) add(rng *rand.Rand, id string, body []byte) {
	keep := rng.IntN(s.every) == 0
	s.mu.Lock()
	defer s.mu.Unlock()
	if (keep || len(s.samples) == 0) && len(s.samples) < s.max {
		s.samples = append(s.samples, benchBody{id, body})
	}
}

// verifyReads compares sampled answers of request kind with t's rows.
func (env *benchEnv) verifyReads(ctx context.Context, r *benchResult, t *benchReader, kind string, samples []benchBody) error {
	bad := 0
	for _, s := range samples {
		want, err := env.wantRead(ctx, t, kind, s.id)
		if err != nil {
			return err
		}
		got, err := benchReadAnswer(kind, s.body)
		if err != nil {
			r.fail("%s of %s: %v", kind, s.id, err)
			continue
		}
		if got != want {
			if bad < 3 {
				r.fail("%s of user %s answered %q, the database says %q", kind, s.id, got, want)
			}
			bad++
		}
	}
	if bad > 3 {
		r.fail("%d more mismatched answers", bad-3)
	}
	if len(samples) == 0 && r.Ops > 0 {
		r.fail("no answer sampled")
	}
	r.extra("answers_verified", len(samples))
	return nil
}

// benchReadAnswer reduces an answer of request kind to what the database
// is asked about: the user's SKUs, its id and UPN, or each SKU's count.
func benchReadAnswer(kind string, body []byte) (string, error) {
	var v struct {
		ID    string `json:"id"`
		UPN   string `json:"userPrincipalName"`
		Value []struct {
			SKUID    string `json:"skuId"`
			Consumed int    `json:"consumedUnits"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	var parts []string
	switch kind {
	case "user":
		return strings.ToLower(v.ID) + " " + v.UPN, nil
	case "licenseDetails":
		for _, l := range v.Value {
			parts = append(parts, strings.ToLower(l.SKUID))
		}
	default:
		for _, l := range v.Value {
			if l.Consumed > 0 { // the GROUP BY it is compared with has no row for an unused SKU
				parts = append(parts, fmt.Sprintf("%s=%d", strings.ToLower(l.SKUID), l.Consumed))
			}
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " "), nil
}

// wantRead returns what the database says to request kind about user id
// of t, in benchReadAnswer's form.
func (env *benchEnv) wantRead(ctx context.Context, t *benchReader, kind, id string) (string, error) {
	var q string
	args := []any{t.id, id}
	switch kind {
	case "user":
		q = `SELECT lower(user_id) || ' ' || upn FROM users WHERE tenant_id = $1 AND user_id = $2`
	case "licenseDetails":
		q = `SELECT lower(sku_id) FROM licenses WHERE tenant_id = $1 AND user_id = $2`
	default:
		q = `SELECT lower(sku_id) || '=' || COUNT(*) FROM licenses WHERE tenant_id = $1 GROUP BY sku_id`
		args = args[:1]
	}
	raw := env.raw
	if t.raw != nil {
		raw = t.raw
	}
	rows, err := raw.QueryContext(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	slices.Sort(parts)
	return strings.Join(parts, " "), rows.Err()
}
