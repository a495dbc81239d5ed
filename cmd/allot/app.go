package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// app is what one allot server process runs over an open database: the
// in-memory license-check index, kept in step with every commit (this
// process's through the store's hooks, other processes' through the
// store's change listener), and the HTTP API. serve and bench both use it.
type app struct {
	db     *sqlstore.DB
	index  *index.Index
	api    *graph.Server
	log    *slog.Logger
	stop   context.CancelFunc
	wg     sync.WaitGroup
	reload chan struct{} // asks for a full reload after a failed update
}

// appOptions are the knobs of an app.
type appOptions struct {
	log       *slog.Logger
	rateLimit float64
	rateBurst int
	now       func() time.Time
	// purgeEvery is how often deleted users past their 30 days are purged
	// (also once at start); 0 means hourly.
	purgeEvery time.Duration
}

// startApp loads the index and prepares the API. The listener starts
// before the load, so no commit of another process falls between them.
func startApp(ctx context.Context, db *sqlstore.DB, o appOptions) (*app, error) {
	a := &app{db: db, index: index.New(db.Catalog(), db), log: o.log, reload: make(chan struct{}, 1)}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	db.OnCommit(func(c allot.Change) { a.apply(bg, c) })
	ready := make(chan struct{})
	if o.now == nil {
		o.now = time.Now
	}
	if o.purgeEvery <= 0 {
		o.purgeEvery = time.Hour
	}
	a.wg.Add(3)
	go a.purger(bg, o.now, o.purgeEvery)
	go func() {
		defer a.wg.Done()
		if err := db.Listen(bg, ready, func(c allot.Change) { a.apply(bg, c) }); err != nil {
			a.log.Error("change listener stopped", "err", err)
		}
	}()
	go a.reloader(bg)
	select {
	case <-ready:
	case <-ctx.Done():
		a.close()
		return nil, ctx.Err()
	}
	start := time.Now()
	if err := a.index.Load(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("load the license-check index: %w", err)
	}
	a.log.Info("license-check index loaded", "users", a.index.Users(), "duration", time.Since(start))
	a.api = graph.NewServer(graph.Services{
		Tenants: db, Subscriptions: db, Users: db, Licenses: db, Roles: db, Audit: db, Tokens: db,
		Checks: a.index, Catalog: db.Catalog(),
	}, graph.Options{Logger: o.log, RateLimit: o.rateLimit, RateBurst: o.rateBurst, Now: o.now})
	return a, nil
}

// apply brings the index in step with a change. If that fails (the
// database could not be read), the index keeps its last committed state
// and a full reload is scheduled.
func (a *app) apply(ctx context.Context, c allot.Change) {
	if err := a.index.Apply(ctx, c); err != nil && ctx.Err() == nil {
		a.log.Error("license-check index update failed; reloading", "tenant", c.TenantID, "err", err)
		select {
		case a.reload <- struct{}{}:
		default:
		}
	}
}

// reloader reloads the whole index when asked, retrying until it works.
func (a *app) reloader(ctx context.Context) {
	defer a.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.reload:
		}
		for a.index.Load(ctx) != nil && ctx.Err() == nil {
			time.Sleep(time.Second)
		}
	}
}

// purger removes, now and then every interval, the users deleted more than
// 30 days ago (allot.DeletedRetention): the tiny scheduler of the purge
// step, which is a plain function of the time.
func (a *app) purger(ctx context.Context, now func() time.Time, every time.Duration) {
	defer a.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.db.PurgeDeletedUsers(ctx, now()); err != nil && ctx.Err() == nil {
			a.log.Error("purging deleted users", "err", err)
		} else if n > 0 {
			a.log.Info("purged deleted users", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handler returns the HTTP API.
func (a *app) handler() http.Handler { return a.api.Handler() }

// close stops the background work; the database stays open.
func (a *app) close() {
	a.stop()
	a.wg.Wait()
}
