// Package server is the wiring of one allot server process: over an open
// database it keeps the in-memory license-check index in step with every
// commit, serves the HTTP API and runs the background jobs. "allot serve"
// and the benchmark program allot-bench both start it, so the bench
// measures exactly what the server runs.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
	"github.com/allot-project/allot/web"
	"github.com/prometheus/client_golang/prometheus"
)

// Options are the knobs of a Server.
type Options struct {
	// Logger receives the server's log lines; nil means slog.Default().
	Logger *slog.Logger
	// RateLimit is the number of requests per second allowed per access
	// token (0: no limit); RateBurst how many may come at once (0: the
	// rate limit, rounded up).
	RateLimit float64
	RateBurst int
	// TenantRateLimit, TenantRateBurst, AddrRateLimit and AddrRateBurst
	// are graph.Options' (see there): per tenant, and per client address
	// for the requests without a valid token; 0 turns each off.
	TenantRateLimit float64
	TenantRateBurst int
	AddrRateLimit   float64
	AddrRateBurst   int
	// Now is the clock of the API and the background jobs; nil means
	// time.Now.
	Now func() time.Time
	// Registry receives the metrics of the API and of whatever else the
	// process runs; nil means a new registry, which /metrics serves.
	Registry *prometheus.Registry
	// PurgeEvery is how often deleted users past their 30 days are purged
	// (also once at start); 0 means hourly.
	PurgeEvery time.Duration
	// PublicURL, TrustedProxies, MetricsToken, MetricsSeparate and
	// MetricsPerTenant are graph.Options' (see there): where absolute links
	// come from, and who reads /metrics, where, and what it holds.
	PublicURL        string
	TrustedProxies   []netip.Prefix
	MetricsToken     string
	MetricsSeparate  bool
	MetricsPerTenant bool
	// LoadInBackground makes Start return at once, before the license-check
	// index is loaded: checks are answered from SQL (the same rule) until
	// it is, and /healthz says "ok, index loading" (allot serve). Without
	// it Start returns once the index is loaded.
	LoadInBackground bool

	// source is where the index loads from; nil means the database (tests
	// slow it down).
	source allot.EntitlementSource
}

// Server is what one allot server process runs over an open database: the
// license-check index, kept in step with this process's commits (through
// the store's hooks) and other processes' (through the store's change
// listener), the HTTP API and the background jobs.
type Server struct {
	db        *sqlstore.DB
	index     *index.Index
	api       *graph.Server
	handler   http.Handler // the API and the admin center (web.go)
	log       *slog.Logger
	stop      context.CancelFunc
	wg        sync.WaitGroup
	reload    chan struct{}   // asks for a full reload after a failed update
	readiness readiness       // what /healthz says (ready.go)
	skus      *graph.SKUCache // the API's subscribedSkus, forgotten by apply
}

// Start loads the license-check index (or, with LoadInBackground, starts
// loading it), starts the background jobs and prepares the API. The
// change listener starts before the load, so no
// commit of another process falls between them. The caller closes the
// Server, then the database.
func Start(ctx context.Context, db *sqlstore.DB, o Options) (*Server, error) {
	o = o.withDefaults()
	src := o.source
	if src == nil {
		src = db
	}
	s := &Server{db: db, index: index.New(db.Catalog(), src), log: o.Logger, reload: make(chan struct{}, 1), skus: graph.NewSKUCache()}
	s.index.OnLoad(func() { s.tuneGC(true) })
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	db.OnCommit(func(c allot.Change) { s.apply(bg, c) })
	db.PlanFrom(snapshot{s})
	db.OnLongWork(lender.lend)
	ready := make(chan struct{})
	s.wg.Add(4)
	go s.runLifecycle(bg, o.Now, o.PurgeEvery)
	go s.listen(bg, ready)
	go s.reloader(bg)
	go s.retuneGC(bg)
	select {
	case <-ready:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
	s.tuneForLoad()
	if o.LoadInBackground {
		s.wg.Add(1)
		go s.loadFirst(bg)
	} else if err := s.load(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.api = graph.NewServer(graph.Services{
		Tenants: db, Subscriptions: db, Users: db, Licenses: db, Roles: db, Audit: db, Tokens: db, Imports: db, Domains: db,
		Checks: checks{s.index, db}, Catalog: db.Catalog(), Data: db, Holds: db, Offboard: db, SelfService: db,
		Reads: reads{s, db},
	}, graph.Options{Logger: o.Logger, RateLimit: o.RateLimit, RateBurst: o.RateBurst, Now: o.Now, Registry: o.Registry,
		TenantRateLimit: o.TenantRateLimit, TenantRateBurst: o.TenantRateBurst, AddrRateLimit: o.AddrRateLimit, AddrRateBurst: o.AddrRateBurst,
		PublicURL: o.PublicURL, TrustedProxies: o.TrustedProxies, MetricsToken: o.MetricsToken,
		MetricsSeparate: o.MetricsSeparate, MetricsPerTenant: o.MetricsPerTenant, SKUCache: s.skus, Ready: s.ready, Loading: s.loading})
	pages, err := web.New(web.Services{Users: db, Licenses: db, Subscriptions: db, Tokens: db, Passwords: db, Audit: db, Seats: db, Data: db, Holds: db, Offboard: db, SelfService: db, Roles: db, Domains: db, Imports: db, Catalog: db.Catalog()},
		web.Options{Logger: o.Logger, Now: o.Now, SecureCookies: strings.HasPrefix(o.PublicURL, "https://"), TrustedProxies: o.TrustedProxies})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.handler = mount(s.api.Handler(), pages)
	return s, nil
}

// withDefaults fills in the zero options.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PurgeEvery <= 0 {
		o.PurgeEvery = time.Hour
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	return o
}

// Handler returns the HTTP API (/v1.0/, /api/, /healthz and, with a
// metrics token, /metrics) and the admin center on every other path.
func (s *Server) Handler() http.Handler { return s.handler }

// IndexUsers returns the number of users in the license-check index.
func (s *Server) IndexUsers() int { return s.index.Users() }

// Close stops the background work and removes the API's spooled
// operation results; the database stays open.
func (s *Server) Close() {
	s.stop()
	s.wg.Wait()
	if s.api != nil {
		s.api.Close()
	}
}

// Serve serves the API on ln until ctx ends, then lets the requests in
// flight finish for up to ShutdownTimeout. It logs "shutting down" and
// "stopped".
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// ReadTimeout and WriteTimeout are an ordinary request's body and
	// overall deadlines (ConfigureHTTP), which bound the in-memory check
	// without a timer of its own; every other API route moves them to its
	// class's deadlines (graph/budget.go, docs/operations.md).
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.api.ConfigureHTTP(srv)
	return s.serveUntil(ctx, srv, ln, true)
}

// serveUntil runs srv on ln until ctx ends, then lets the requests in
// flight finish for up to ShutdownTimeout, logging "shutting down" and
// "stopped" if announce is set.
func (s *Server) serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, announce bool) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	if announce {
		s.log.Info("shutting down", "timeout", ShutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut: %w", ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if announce {
		s.log.Info("stopped")
	}
	return nil
}

// ShutdownTimeout is how long requests in flight get to finish once Serve
// is told to stop.
const ShutdownTimeout = 10 * time.Second
