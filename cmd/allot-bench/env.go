package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/server"
	"github.com/allot-project/allot/internal/loadgen"
	"github.com/allot-project/allot/lifecycle"
	"github.com/allot-project/allot/sqlstore"
)

// benchEnv is what the workloads of one invocation share: the data set,
// its working copy opened by an in-process allot (the same app "allot
// serve" runs) listening on a loopback port, a token of the service
// account, and the results of earlier workloads that later ones compare
// with.
type benchEnv struct {
	c       *benchCommand
	d       *benchData
	genTime time.Duration
	dbPath  string // the working copy
	db      *sqlstore.DB
	app     *server.Server
	srv     *http.Server
	base    string // http://127.0.0.1:port
	token   string
	raw     *sql.DB // a read-only connection of our own, for invariants and baselines
	subIDs  []string
	commit  string
	machine string
	// procs is GOMAXPROCS as the bench started: the server in its process
	// raises it while a long transaction runs (cmd/internal/server/procs.go).
	procs    int
	indexMem float64 // heap bytes per user of the license-check index
	// last holds the latest result of each workload, by name and run, for
	// the workloads that compare with another (W2 with W1, W9 with W1b).
	last    map[string]*benchResult
	binary  string         // the allot binary built by W10 or W11
	pg      *benchPG       // W11's database, once started
	bareP   *bareProc      // the bare handler, once started
	lock    *os.File       // the data directory's lock (lockDataDir)
	served  *benchProc     // the "allot serve" of W12 and W13, once started
	readers []*benchReader // the tenants W12 reads from, once set up
}

// warmup is how long a load runs before it is measured: none on the
// smoke data set.
func (c *benchCommand) warmup() time.Duration {
	if c.smoke {
		return 0
	}
	return time.Second
}

// newBenchEnv prepares the data set and starts the in-process server.
func newBenchEnv(ctx context.Context, c *benchCommand) (*benchEnv, error) {
	env := &benchEnv{c: c, commit: benchCommit(ctx, ""), machine: benchMachine(), procs: runtime.GOMAXPROCS(0), last: map[string]*benchResult{}}
	size := benchFullSize(c.users)
	if c.smoke {
		size = benchSmokeSize(c.users)
	}
	var err error
	if env.lock, err = lockDataDir(c.dir); err != nil {
		return nil, err
	}
	if env.d, env.genTime, err = prepareBenchData(ctx, c.dir, size, c.logf); err != nil {
		env.close()
		return nil, fmt.Errorf("data set: %w", err)
	}
	if err := env.openWorkingCopy(ctx); err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

// openWorkingCopy copies the data set and opens it with the in-process
// app, measuring the index's memory on the way.
func (env *benchEnv) openWorkingCopy(ctx context.Context) error {
	work := filepath.Join(env.c.dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	env.dbPath = filepath.Join(work, "allot.db")
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(env.dbPath + suffix)
	}
	start := time.Now()
	if err := benchCopyFile(env.dbPath, filepath.Join(env.c.dir, "allot.db")); err != nil {
		return fmt.Errorf("copy the data set: %w", err)
	}
	env.c.logf("working copy %s made in %s", env.dbPath, time.Since(start).Round(time.Millisecond))
	db, err := sqlstore.Open(ctx, env.dbPath, sqlstore.Options{Catalog: env.d.catalog, Synchronous: "FULL"})
	if err != nil {
		return err
	}
	env.db = db
	if err := benchSettle(ctx, db, env.c.logf); err != nil {
		return err
	}
	before := benchHeap()
	start = time.Now()
	log := slog.New(slog.NewTextHandler(io.Discard, nil)) // formats like serve's log, writes nowhere
	if env.app, err = server.Start(ctx, db, server.Options{Logger: log, Now: time.Now}); err != nil {
		return err
	}
	env.indexMem = float64(benchHeap()-before) / float64(env.app.IndexUsers())
	env.c.logf("index of %d users loaded in %s, %.0f bytes per user", env.app.IndexUsers(), time.Since(start).Round(time.Millisecond), env.indexMem)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	env.srv = &http.Server{Handler: env.app.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go env.srv.Serve(ln)
	env.base = "http://" + ln.Addr().String()
	if env.token, _, err = db.CreateToken(ctx, env.d.big.id, env.d.adminUPN, 24*time.Hour); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if env.raw, err = sql.Open("sqlite", "file:"+env.dbPath+"?mode=ro&_pragma=busy_timeout(10000)"); err != nil {
		return err
	}
	subs, err := db.FindSubscriptions(ctx, allot.SystemPrincipal(env.d.big.id, "allot bench"))
	if err != nil {
		return err
	}
	env.subIDs = make([]string, len(env.d.skuIDs))
	for _, s := range subs {
		for i, id := range env.d.skuIDs {
			if id == s.SKUID {
				env.subIDs[i] = s.ID
			}
		}
	}
	return nil
}

// benchHeap returns the live heap after a collection.
func benchHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func (env *benchEnv) close() {
	if env.lock != nil {
		defer env.lock.Close()
	}
	if env.bareP != nil {
		env.bareP.stop()
	}
	if env.served != nil {
		env.served.stop()
	}
	for _, r := range env.readers {
		r.close()
	}
	if env.pg != nil {
		env.pg.close()
	}
	if env.srv != nil {
		env.srv.Close()
	}
	if env.app != nil {
		env.app.Close()
	}
	if env.raw != nil {
		env.raw.Close()
	}
	if env.db != nil {
		env.db.Close()
	}
}

// client returns a load client with conns connections and the service
// account's token.
func (env *benchEnv) client(conns int) *loadgen.Client {
	return loadgen.NewClient(conns, http.Header{"Authorization": {"Bearer " + env.token}})
}

// api returns a client of the API on base (an in-process or a W10/W11
// server) with the service account's token, for the requests around the
// measurements; the measured loads use loadgen.
func (env *benchEnv) api(base string) (*client.Client, error) {
	c, err := client.New(base, env.token)
	if err != nil {
		return nil, err
	}
	c.UserAgent = "allot-bench"
	return c, nil
}

// bulkClient returns a client for bulk requests, which may take minutes.
func (env *benchEnv) bulkClient() *loadgen.Client {
	c := env.client(1)
	c.HTTP.Timeout = 15 * time.Minute
	return c
}

// system is the principal of the bench's own direct changes (set-up and
// clean-up, never measured).
func (env *benchEnv) system() allot.Principal {
	return allot.SystemPrincipal(env.d.big.id, "allot bench")
}

// runWorkload runs one run of a workload and returns its lines, each
// with the load average before and after.
func (env *benchEnv) runWorkload(ctx context.Context, name string, run int) ([]*benchResult, error) {
	env.c.logf("%s run %d", name, run)
	before := loadAverage()
	results, err := env.runOne(ctx, name, run)
	after := loadAverage()
	for _, r := range results {
		r.LoadBefore, r.LoadAfter = before, after
	}
	return results, err
}

// runOne runs one run of a workload and returns its lines.
func (env *benchEnv) runOne(ctx context.Context, name string, run int) ([]*benchResult, error) {
	var r *benchResult
	var err error
	switch name {
	case "W1":
		r, err = env.w1(ctx)
	case "W1b":
		r, err = env.w1b(ctx)
	case "W2":
		r, err = env.w2(ctx, run)
	case "W3":
		r, err = env.w3(ctx)
	case "W4":
		r, err = env.w4(ctx)
	case "W5":
		r, err = env.w5(ctx)
	case "W6":
		r, err = env.w6(ctx)
	case "W7":
		r, err = env.w7(ctx)
	case "W8":
		r, err = env.w8(ctx)
	case "W9":
		r, err = env.w9(ctx, run)
	case "W12":
		return env.w12(ctx)
	case "W13":
		return env.w13(ctx)
	case "W10":
		r, err = env.w10(ctx)
	case "W11":
		return env.w11(ctx)
	default:
		return nil, fmt.Errorf("unknown workload %s", name)
	}
	if err != nil {
		return nil, err
	}
	r.Workload = name
	env.last[fmt.Sprint(name, "/", run)] = r
	return []*benchResult{r}, nil
}

// benchSettle brings a database of the data set to today before anything
// is measured, as a server that had been running would have. The data set
// is dated benchEpoch; without this, the first lifecycle pass of the
// server under test applied every change due since then while the first
// workload ran: in November 2026, 6,141 subscription changes (the one-year
// terms ended on 2026-01-06) removing 33,602 licenses, 14.6 s of writes.
func benchSettle(ctx context.Context, db *sqlstore.DB, logf func(string, ...any)) error {
	start := time.Now()
	n := 0
	for _, r := range lifecycle.Run(ctx, lifecycle.Steps(db), time.Now()) {
		if r.Err != nil {
			return fmt.Errorf("bring the data set to today, %s: %w", r.Step.Name, r.Err)
		}
		n += r.Count
	}
	logf("data set brought to today: %d lifecycle changes in %s", n, time.Since(start).Round(time.Millisecond))
	return nil
}
