// Package graph is allot's HTTP server: the licensing subset of the
// Microsoft Graph v1.0 API (subscribedSkus, users and their licenses,
// directory subscriptions, deleted users and the tenant's domains), with
// Graph's JSON shapes, query options and error envelope, so that Graph SDKs
// and scripts work against allot unchanged. It also serves /healthz and
// Prometheus /metrics.
//
// Every request gets a fresh request-id, one log line and metrics; every
// error, including unknown routes, wrong methods, panics and throttling, is
// answered in Graph's envelope {"error":{"code","message","innerError"}}.
// Handlers return errors and one adapter renders them (see error.go for the
// status table). The decisions taken where Graph's behaviour is unconfirmed
// are documented next to the code that takes them.
package graph

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/allot-project/allot"
)

// Services are the domain services the server calls.
type Services struct {
	Tenants       allot.TenantService
	Subscriptions allot.SubscriptionService
	Users         allot.UserService
	Licenses      allot.LicenseService
	Roles         allot.RoleService
	Audit         allot.AuditService
	Tokens        allot.TokenService
	Domains       allot.DomainService
	// Imports applies CSV imports of users (/api/users/import).
	Imports allot.UserImportService
	// Data reads users' data states and previews changes (/api/users/{id}/data,
	// …/preview/assignLicense, …/preview/delete); nil leaves those routes
	// answering 501.
	Data allot.DataService
	// Holds places and releases holds and lists searchable mailboxes
	// (/api/holds, /api/discovery/mailboxes); nil leaves those routes
	// answering 501.
	Holds allot.HoldService
	// Offboard offboards former employees (/api/users/{id}/offboard); nil
	// leaves that route answering 501.
	Offboard allot.OffboardService
	// SelfService keeps the self-service policies and buys for users
	// themselves (/api/policies/selfService, /api/subscriptions/selfService);
	// nil leaves those routes answering 501.
	SelfService allot.SelfServiceService
	// Checks answers license checks (/api/check); nil leaves those routes
	// answering 501.
	Checks allot.CheckService
	// Catalog resolves SKUs and service plans; nil means allot.DemoCatalog().
	Catalog *allot.Catalog
	// Reads answers GET /users/{id}, /me and their licenseDetails the cheap
	// way (userread.go); nil means Users.FindUser.
	Reads allot.UserReadService
}

// Options configures a Server. Zero values get sensible defaults.
type Options struct {
	// Logger receives one Info line per request and the internal errors;
	// nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies, before and after gzip decoding;
	// 0 means 4 MiB.
	MaxBodyBytes int64
	// RateLimit is the number of requests per second allowed per access
	// token; 0 turns rate limiting off.
	RateLimit float64
	// RateBurst is the number of requests a token may send at once; 0 means
	// RateLimit rounded up, at least 1.
	RateBurst int
	// TenantRateLimit and TenantRateBurst are the same for all the tokens
	// of one tenant together; 0 turns that limit off.
	TenantRateLimit float64
	TenantRateBurst int
	// AddrRateLimit and AddrRateBurst are the same per client address (the
	// peer, or the X-Forwarded-For address a trusted proxy passes on) for
	// the requests that present no valid token; a token not seen before is
	// looked up only while its address has requests left. 0 turns that
	// limit off.
	AddrRateLimit float64
	AddrRateBurst int
	// MaxBulkBodyBytes limits the body of /api/bulkAssignLicense, which may
	// list 100 000 users; 0 means 64 MiB.
	MaxBulkBodyBytes int64
	// BodyTimeout is how long a request has to send its body once its
	// headers are read, and RequestTimeout how long it has to be answered;
	// BulkBodyTimeout and BulkTimeout are the same for the bulk routes
	// (budget.go). 0 means DefaultBodyTimeout, DefaultRequestTimeout,
	// DefaultBulkBodyTimeout and DefaultBulkTimeout.
	BodyTimeout, RequestTimeout, BulkBodyTimeout, BulkTimeout time.Duration
	// MaxBulkRequests is how many bulk requests (license changes, user
	// imports) run at once; more are refused with 503. 0 means
	// DefaultMaxBulkRequests.
	MaxBulkRequests int
	// OperationTTL is how long an operation (a bulk request answered with
	// Prefer: respond-async, operation.go) and its result are kept after
	// it ends; MaxOperations how many one tenant keeps; OperationDir
	// where results are spooled. 0 and "" mean DefaultOperationTTL,
	// DefaultMaxOperations and os.TempDir().
	OperationTTL  time.Duration
	MaxOperations int
	OperationDir  string
	// TokenCacheTTL is how long a validated token's principal is reused
	// without asking the store again, which keeps the database off the
	// license-check path. A revoked token, a blocked user or a role change
	// takes effect within it. 0 means 1 s; a negative value turns the cache
	// off.
	TokenCacheTTL time.Duration
	// Now returns the current time (for innerError.date and the rate
	// limiter); nil means time.Now.
	Now func() time.Time
	// Registry receives the server's metrics, and /metrics serves all it
	// holds, so that other packages of the process can register theirs on
	// the same one; nil means a registry of the server's own.
	Registry *prometheus.Registry
	// PublicURL is the scheme and host, as clients reach the server
	// ("https://allot.example.com"), that every absolute link
	// (@odata.nextLink, @odata.context, Location) starts with. Empty means
	// X-Forwarded-Host and X-Forwarded-Proto when the peer is one of
	// TrustedProxies, else the address of the listener the request came
	// in on; never the request's Host header.
	PublicURL string
	// TrustedProxies are the peer address ranges whose X-Forwarded-Host
	// and X-Forwarded-Proto headers are believed.
	TrustedProxies []netip.Prefix
	// MetricsToken is the bearer token /metrics asks for. Handler serves
	// /metrics only when it is set and MetricsSeparate is not;
	// MetricsHandler serves it for a separate listener, asking for the
	// token when it is set.
	MetricsToken string
	// MetricsSeparate keeps /metrics off Handler, for MetricsHandler
	// serves it on a listener of its own.
	MetricsSeparate bool
	// MetricsPerTenant exports the seat gauges of every tenant
	// (allot_seats{tenant,sku,state}), which name every tenant; off by
	// default.
	MetricsPerTenant bool
	// Ready reports whether the server can serve: while it returns an
	// error, /healthz answers 503 "not ready" (the error is logged, never
	// shown). Nil means always ready.
	Ready func(context.Context) error
	// Loading reports that the server is ready but answers license checks
	// the slow way (from SQL, while its index loads): /healthz then
	// answers "ok, index loading". Nil means never.
	Loading func() bool
	// SKUCache keeps each tenant's subscribedSkus between the commits that
	// change them (skucache.go); nil reads them from the store every time.
	SKUCache *SKUCache
}

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes
// is 0.
const DefaultMaxBodyBytes = 4 << 20

// Server serves the Graph-compatible API over allot's services.
type Server struct {
	svc          Services
	catalog      *allot.Catalog
	log          *slog.Logger
	maxBody      int64
	maxBulk      int64
	tokens       *tokenCache
	now          func() time.Time
	mux          *http.ServeMux
	patterns     [][]string // the segments of every registered path, for 404 messages
	routes       []string   // every registered "METHOD /path" pattern, for tests over all routes
	metrics      *metrics
	registry     *prometheus.Registry
	rates        rateLimits // ratelimit.go
	limits       limits     // time and bulk work (budget.go)
	ops          *operations
	handler      http.Handler
	links        linkBase
	metricsToken string
	metricsOnAPI bool
	ready        func(context.Context) error
	loading      func() bool
	skuCache     *SKUCache // nil: none
	skuJSON      skuStatic // the catalog SKUs' static JSON
}

// NewServer returns a server over the services s.
func NewServer(s Services, opts Options) *Server {
	srv := &Server{svc: s, catalog: s.Catalog, log: opts.Logger, maxBody: opts.MaxBodyBytes, now: opts.Now, mux: http.NewServeMux(), limits: newLimits(opts)}
	if srv.catalog == nil {
		srv.catalog = allot.DemoCatalog()
	}
	if srv.log == nil {
		srv.log = slog.Default()
	}
	if srv.maxBody <= 0 {
		srv.maxBody = DefaultMaxBodyBytes
	}
	if srv.maxBulk = opts.MaxBulkBodyBytes; srv.maxBulk <= 0 {
		srv.maxBulk = 64 << 20
	}
	if srv.now == nil {
		srv.now = time.Now
	}
	if srv.registry = opts.Registry; srv.registry == nil {
		srv.registry = prometheus.NewRegistry()
	}
	srv.metrics = newMetrics(srv.registry)
	if opts.MetricsPerTenant {
		register(srv.registry, newSeatCollector(s, srv.log))
	}
	srv.links = linkBase{public: strings.TrimSuffix(opts.PublicURL, "/"), proxies: opts.TrustedProxies}
	srv.metricsToken, srv.ready, srv.loading = opts.MetricsToken, opts.Ready, opts.Loading
	srv.skuCache = opts.SKUCache
	srv.metricsOnAPI = opts.MetricsToken != "" && !opts.MetricsSeparate
	srv.tokens = newTokenCache(opts.TokenCacheTTL, srv.now)
	srv.rates = newRateLimits(opts, srv.now)
	srv.ops = newOperations(opts, srv.now)
	srv.registerRoutes()
	srv.handler = srv.limitTime(srv.observe(http.HandlerFunc(srv.serve)))
	return srv
}

// Close forgets the server's operations and removes their spooled
// results, which would otherwise outlive the process in OperationDir.
// Call it once the server has stopped serving.
func (s *Server) Close() { s.ops.close() }

// Handler returns the whole API: routes with their middleware.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) registerRoutes() {
	s.handle("GET /healthz", http.HandlerFunc(s.healthz))
	if s.metricsOnAPI {
		s.handle("GET /metrics", s.metricsEndpoint())
	}
	s.registerSubscribedSKURoutes()
	s.registerUserRoutes()
	s.registerLicenseRoutes()
	s.registerSubscriptionRoutes()
	s.registerSelfServiceRoutes()
	s.registerDeletedRoutes()
	s.registerBulkRoutes()
	s.registerOperationRoutes()
	s.registerCheckRoutes()
	s.registerRoleRoutes()
	s.registerTokenRoutes()
	s.registerUserImportRoutes()
	s.registerAuditRoutes()
	s.registerDomainRoutes()
	s.registerHoldRoutes()
	s.registerUserDataRoutes()
	s.registerOffboardRoutes()
	s.mux.HandleFunc("/", s.notFoundOrMethod)
}

// handle registers h for pattern ("METHOD /path") and records the route
// name that logs and metrics use.
func (s *Server) handle(pattern string, h http.Handler) {
	_, route, _ := strings.Cut(pattern, " ")
	s.patterns = append(s.patterns, strings.Split(strings.Trim(route, "/"), "/"))
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).route = route
		h.ServeHTTP(w, r)
	}))
}

// route registers an API handler: it runs after rate limiting and
// authentication, and its error is rendered in Graph's envelope.
func (s *Server) route(pattern string, h apiHandler) { s.handle(pattern, s.api(h)) }

// serve dispatches to the mux, answering unclean paths (which the mux would
// redirect) as unknown routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p != cleanPath(p) {
		s.writeError(w, r, s.unknownRoute(r))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// healthz answers "ok" ("ok, index loading" while Options.Loading says
// so), or 503 "not ready" while Options.Ready fails: no more, as it needs
// no token.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "not ready", "err", err, "request_id", infoFrom(r.Context()).id)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready"))
			return
		}
	}
	if s.loading != nil && s.loading() {
		w.Write([]byte("ok, index loading"))
		return
	}
	w.Write([]byte("ok"))
}

// methods are the methods tried to tell a wrong method (405) from an
// unknown route (404).
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete}

// notFoundOrMethod answers what no route matched: 405 with an Allow header
// when the path exists for other methods, else 404.
//
// Decision (Graph unconfirmed): real Graph answers an unknown segment with
// 400 "BadRequest"; allot answers 404 with code "UnknownError" and Graph's
// message "Resource not found for the segment 'x'.", so that an unknown
// route is not mistaken for a missing object (Request_ResourceNotFound).
// A wrong method is 405 "Request_BadRequest" "Specified HTTP method is not
// allowed for the request uri.", as Azure AD Graph answered.
func (s *Server) notFoundOrMethod(w http.ResponseWriter, r *http.Request) {
	infoFrom(r.Context()).route = "unmatched"
	var allow []string
	for _, m := range methods {
		c := r.Clone(r.Context())
		c.Method = m
		if _, pattern := s.mux.Handler(c); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeError(w, r, s.unknownRoute(r))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, &apiError{status: http.StatusMethodNotAllowed, code: codeBadRequest,
		message: "Specified HTTP method is not allowed for the request uri."})
}

// unknownRoute names the first path segment that no route knows.
func (s *Server) unknownRoute(r *http.Request) error {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	best := 0
	for _, p := range s.patterns {
		n := 0
		for n < len(p) && n < len(segs) && (p[n] == segs[n] || strings.HasPrefix(p[n], "{") && segs[n] != "") {
			n++
		}
		best = max(best, n)
	}
	seg := segs[min(best, len(segs)-1)]
	if len(seg) > 100 {
		seg = seg[:100]
	}
	return &apiError{status: http.StatusNotFound, code: "UnknownError",
		message: "Resource not found for the segment '" + seg + "'."}
}

// cleanPath is path.Clean keeping a trailing slash, as ServeMux cleans.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
