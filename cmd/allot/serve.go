package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/cmd/internal/server"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

const serveUsage = `Usage: allot serve [flags]

Serve opens the database, creating it and migrating it to the current
schema if needed, and serves the API until it is interrupted (SIGINT or
SIGTERM), when it lets the requests in flight finish: the Graph-compatible
API under /v1.0/, allot's bulk changes (/api/bulkAssignLicense) and license
checks (/api/check, answered from memory), /healthz and Prometheus
/metrics. It answers at once: while the license-check index loads, checks
are answered from the database and /healthz says "ok, index loading". It logs one line per request on standard error and prints the URL
it listens on:

	allot: listening on http://127.0.0.1:8080

With --demo it first creates the demo tenant Contoso (contoso.example) with
its users, subscriptions and licenses, unless that tenant exists, and prints
a new token of its Global Administrator admin@contoso.example, valid 30
days, as a line to paste in a shell, and before it a new password with
which the administrator signs in to the admin center's pages:

	allot: sign in to the admin center at http://127.0.0.1:8080/ as admin@contoso.example with the password k7cm-...
	allot: a new token of admin@contoso.example, valid 30 days; use the API and the CLI with:
	export ALLOT_URL=http://127.0.0.1:8080 ALLOT_TOKEN=allot_...

"allot token create --user UPN" issues tokens for other users.

Absolute links in answers (@odata.nextLink) start with --public-url, else,
for requests from a --trusted-proxy, with its X-Forwarded-Host and
X-Forwarded-Proto, else with the address the request came in on; never with
the Host header a client sends.

/metrics is served on --metrics-addr alone when it is set (the API's
listener then does not serve it), else on the API's listener only to
requests bearing the token of --metrics-token-file ("Authorization: Bearer
TOKEN"); with neither, it is not served. The token file, when given, is
asked for on --metrics-addr too. Seat gauges by tenant, which name every
tenant, are exported only with --metrics-per-tenant. With --pprof the
metrics listener also serves Go's profiles under /debug/pprof/ (for go
tool pprof http://127.0.0.1:9090/debug/pprof/profile), to the same bearer.

Examples:

	allot serve --demo
	allot serve --addr :8080 --db postgres://allot@db.example/allot --log-format json
	allot serve --addr :8080 --public-url https://allot.example.com --metrics-addr 127.0.0.1:9090
	allot serve --trusted-proxy 10.0.0.0/8 --metrics-token-file /etc/allot/metrics-token
`

// serveCommand is "allot serve".
type serveCommand struct {
	m           *Main
	dsn         string
	demo        bool
	catalog     string
	synchronous string
	addr        string
	rateLimit   float64
	rateBurst   int
	rates       rateFlags // per tenant and per address (serve_flags.go)
	logFormat   string
	publicURL   string
	proxies     proxyFlag
	metricsAddr string
	pprof       bool
	metricsFile string
	perTenant   bool
	metricsTok  string // read from metricsFile by run
	log         *slog.Logger
	token       string // the demo administrator's new token, with --demo
	password    string // the demo administrator's new password, with --demo
	// serve runs the HTTP server on the prepared database until ctx ends;
	// tests replace it.
	serve func(ctx context.Context, db *sqlstore.DB) error
}

func (m *Main) parseServe(args []string) (command, error) {
	c := &serveCommand{m: m}
	fs := newFlagSet("serve")
	fs.StringVar(&c.dsn, "db", "./allot.db", "the database: a SQLite `file` (created if missing) or a postgres:// URL")
	fs.BoolVar(&c.demo, "demo", false, "create the demo tenant contoso.example unless it exists, and print a token of its administrator")
	fs.StringVar(&c.catalog, "catalog", "", "load the product catalog from this JSON `file` instead of the built-in one")
	fs.StringVar(&c.synchronous, "synchronous", "FULL", "SQLite durability `mode`: FULL (a commit survives a power loss) or NORMAL\n(faster; a power loss may lose the last commits, never the database)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen on this `host:port`; port 0 picks a free port, :8080 listens on every interface")
	fs.Float64Var(&c.rateLimit, "rate-limit", defaultRateLimit, "allow each access token this many `requests` per second (0: no limit)")
	fs.IntVar(&c.rateBurst, "rate-burst", 0, "let a token send this many `requests` at once (0: the rate limit, rounded up)")
	c.rates.register(fs)
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format` on standard error: text or json")
	fs.StringVar(&c.publicURL, "public-url", "", "the `URL` clients reach the server at (https://allot.example.com), which absolute links start with")
	fs.Var(&c.proxies, "trusted-proxy", "believe X-Forwarded-Host and X-Forwarded-Proto from peers in this `CIDR` or address (repeatable)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this `host:port` alone (e.g. 127.0.0.1:9090), not on --addr")
	fs.StringVar(&c.metricsFile, "metrics-token-file", "", "ask /metrics for the bearer token held in this `file`")
	fs.BoolVar(&c.perTenant, "metrics-per-tenant", false, "export seat gauges by tenant in /metrics (they name every tenant)")
	fs.BoolVar(&c.pprof, "pprof", false, "also serve Go's profiles (/debug/pprof/) on --metrics-addr, to the bearer of --metrics-token-file if set")
	if err := m.parseFlags(fs, serveUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("serve takes no arguments, got %q (run 'allot serve -h' for usage)", fs.Arg(0))}
	}
	c.synchronous = strings.ToUpper(c.synchronous)
	switch {
	case c.synchronous != "FULL" && c.synchronous != "NORMAL":
		return nil, &usageError{Msg: fmt.Sprintf("serve: --synchronous must be FULL or NORMAL, not %q", c.synchronous)}
	case c.logFormat != "text" && c.logFormat != "json":
		return nil, &usageError{Msg: fmt.Sprintf("serve: --log-format must be text or json, not %q", c.logFormat)}
	case c.rateLimit < 0 || c.rateBurst < 0:
		return nil, &usageError{Msg: "serve: --rate-limit and --rate-burst cannot be negative"}
	case c.rates.negative():
		return nil, &usageError{Msg: "serve: --tenant-rate-limit, --tenant-rate-burst, --addr-rate-limit and --addr-rate-burst cannot be negative"}
	case c.pprof && c.metricsAddr == "":
		return nil, &usageError{Msg: "serve: --pprof serves profiles on --metrics-addr only: set --metrics-addr (e.g. 127.0.0.1:9090)"}
	}
	if err := checkPublicURL(c.publicURL); err != nil {
		return nil, &usageError{Msg: "serve: --public-url " + err.Error()}
	}
	c.serve = c.serveHTTP
	return c, nil
}

func (c *serveCommand) run(ctx context.Context) error {
	if c.metricsFile != "" {
		var err error
		if c.metricsTok, err = readMetricsToken(c.metricsFile); err != nil {
			return err
		}
	}
	catalog := allot.DemoCatalog()
	if c.catalog != "" {
		var err error
		if catalog, err = allot.LoadCatalog(c.catalog); err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				return fmt.Errorf("catalog: %w", err)
			}
			return err
		}
	}
	c.log = c.newLogger()
	logf := func(format string, args ...any) { c.log.Warn(fmt.Sprintf(format, args...)) }
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{Catalog: catalog, Synchronous: c.synchronous, Logf: logf}, false)
	if err != nil {
		return err
	}
	if c.demo {
		if err := c.seedDemo(ctx, db); err != nil {
			return err
		}
	}
	return c.serve(ctx, db)
}

// newLogger returns the structured logger of --log-format, on stderr.
func (c *serveCommand) newLogger() *slog.Logger {
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(c.m.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(c.m.Stderr, nil))
}

// seedDemo seeds the demo tenant and prints one line about it.
func (c *serveCommand) seedDemo(ctx context.Context, db *sqlstore.DB) error {
	state := "created"
	if _, err := db.FindTenantByDomain(ctx, demo.Domain); err == nil {
		state = "already present"
	} else if allot.ErrorCode(err) != allot.ENOTFOUND {
		return err
	}
	t, err := demo.Seed(ctx, db, c.m.Now())
	if err != nil {
		return err
	}
	p := allot.SystemPrincipal(t.ID, "allot serve")
	users, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		return err
	}
	subs, err := db.FindSubscriptions(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "allot: demo tenant %s (%s) %s: %d users, %d subscriptions, Global Administrator %s\n",
		t.Name, t.Domain, state, users, len(subs), demo.AdminUPN)
	c.token, _, err = db.CreateToken(ctx, t.ID, demo.AdminUPN, demoTokenTTL)
	if err != nil {
		return err
	}
	c.password, err = demo.NewAdminPassword(ctx, db, t.ID, rand.Reader)
	return err
}

// demoTokenTTL is how long the token printed by --demo stays valid.
const demoTokenTTL = 720 * time.Hour

// serveHTTP serves the Graph API on --addr, and /metrics on --metrics-addr
// if set, until ctx ends, then shuts down gracefully.
func (c *serveCommand) serveHTTP(ctx context.Context, db *sqlstore.DB) error {
	srv, err := server.Start(ctx, db, server.Options{Logger: c.log, RateLimit: c.rateLimit, RateBurst: c.rateBurst, Now: c.m.Now,
		TenantRateLimit: c.rates.tenant, TenantRateBurst: c.rates.tenantBurst, AddrRateLimit: c.rates.addr, AddrRateBurst: c.rates.addrBurst,
		PublicURL: c.publicURL, TrustedProxies: c.proxies, MetricsToken: c.metricsTok,
		MetricsSeparate: c.metricsAddr != "", MetricsPerTenant: c.perTenant, LoadInBackground: true})
	if err != nil {
		return err
	}
	defer srv.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsDone := make(chan error, 1)
	if c.metricsAddr == "" {
		metricsDone <- nil
	} else if err := c.serveMetrics(ctx, cancel, srv, metricsDone); err != nil {
		ln.Close()
		return err
	}
	base := "http://" + reachableAddr(ln.Addr())
	c.log.Info("listening", "addr", ln.Addr().String(), "url", base, "db", redact(c.dsn), "backend", db.Backend())
	fmt.Fprintf(c.m.Stdout, "allot: listening on %s\n", base)
	if c.token != "" {
		fmt.Fprintf(c.m.Stdout, "allot: sign in to the admin center at %s/ as %s with the password %s\n", base, demo.AdminUPN, c.password)
		fmt.Fprintf(c.m.Stdout, "allot: a new token of %s, valid %d days; use the API and the CLI with:\n", demo.AdminUPN, int(demoTokenTTL.Hours()/24))
		fmt.Fprintf(c.m.Stdout, "export %s=%s %s=%s\n", envURL, base, envToken, c.token)
	}
	err = srv.Serve(ctx, ln)
	cancel()
	return errors.Join(err, <-metricsDone)
}

// serveMetrics listens on --metrics-addr and serves /metrics there until
// ctx ends, sending the outcome on done; a failure of that listener ends
// the whole server (cancel).
func (c *serveCommand) serveMetrics(ctx context.Context, cancel context.CancelFunc, srv *server.Server, done chan<- error) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.metricsAddr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	c.log.Info("serving metrics", "addr", ln.Addr().String())
	fmt.Fprintf(c.m.Stdout, "allot: metrics on http://%s/metrics\n", reachableAddr(ln.Addr()))
	go func() {
		err := srv.ServeMetrics(ctx, ln, c.pprof)
		cancel()
		done <- err
	}()
	return nil
}

// reachableAddr is the listening address as a client can dial it: a
// wildcard host (":8080" listens on every interface) becomes 127.0.0.1.
func reachableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	// 127.0.0.1 rather than localhost: links are built on the address a
	// request came in on, and the CLI follows only links on its own
	// origin.
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
