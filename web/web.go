// Package web is allot's admin center: the pages tenant administrators
// and users open in a browser (sign-in, Licenses, Your products, My
// licenses), in English and French.
//
// It imports only the root package. Templates, assets and message
// catalogs are embedded and parsed once by New, so a broken template fails
// start-up, not a request. Pages are plain HTML forms protected against
// CSRF, with a little JavaScript where it helps; every decision about who
// may do what is asked of the root (Principal.Can) and of the services,
// which refuse what the roles do not allow.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/allot-project/allot"
)

// Services are the domain services the pages call.
type Services struct {
	Users         allot.UserService
	Licenses      allot.LicenseService
	Subscriptions allot.SubscriptionService
	Tokens        allot.TokenService
	Passwords     allot.PasswordService
	Audit         allot.AuditService
	// Seats reads the products' seat days the Licenses charts draw; nil
	// leaves the charts out.
	Seats allot.SeatHistoryService
	// Data previews what a change does to users' mailboxes and files; nil
	// leaves the confirmations without that preview.
	Data allot.DataService
	// Holds places and releases holds and lists the searchable
	// mailboxes; nil leaves the Holds page out.
	Holds allot.HoldService
	// Offboard offboards former employees from a user's pane; nil
	// leaves the action out.
	Offboard allot.OffboardService
	// SelfService is the organization's self-service purchase policy and
	// the purchases it allows; nil hides the self-service pages.
	SelfService allot.SelfServiceService
	// Roles lists, grants and revokes administrator roles; nil leaves the
	// Roles page out.
	Roles allot.RoleService
	// Domains lists the organization's domains; nil leaves the Domains
	// page out.
	Domains allot.DomainService
	// Imports creates and updates users from an uploaded CSV; nil leaves
	// the import page out.
	Imports allot.UserImportService
	// Catalog names products and service plans; nil means
	// allot.DemoCatalog().
	Catalog *allot.Catalog
}

// Options configures the admin center. Zero values get defaults.
type Options struct {
	// Logger receives one line per request and the internal errors; nil
	// means slog.Default().
	Logger *slog.Logger
	// Now is the clock (sessions, sign-in slowdown, charts); nil means
	// time.Now.
	Now func() time.Time
	// SessionTTL is how long a session lasts; 0 means 8 hours.
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests,
	// for a server behind a TLS-terminating proxy. Requests that came
	// over TLS always get Secure cookies.
	SecureCookies bool
	// TrustedProxies are the peer address ranges whose X-Forwarded-For is
	// believed for the per-address sign-in slowdown.
	TrustedProxies []netip.Prefix
}

// DefaultSessionTTL is how long a session lasts when Options.SessionTTL
// is 0.
const DefaultSessionTTL = 8 * time.Hour

// Handler serves the admin center.
type Handler struct {
	svc      Services
	catalog  *allot.Catalog
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	secure   bool
	views    *views
	assets   *assets
	locales  *locales
	throttle *throttle
	chunk    int            // users per step of a large unassignment (progress.go)
	count    int            // how far users' lists count (users.go maxListCount)
	proxies  []netip.Prefix // Options.TrustedProxies
	mux      *http.ServeMux
	handler  http.Handler
}

// New parses the templates, assets and catalogs and returns the admin
// center's handler; an error means a broken template or catalog.
func New(s Services, o Options) (*Handler, error) {
	h := &Handler{svc: s, catalog: s.Catalog, log: o.Logger, now: o.Now, ttl: o.SessionTTL, secure: o.SecureCookies, proxies: o.TrustedProxies, chunk: chunkSize, count: maxListCount, mux: http.NewServeMux()}
	if h.catalog == nil {
		h.catalog = allot.DemoCatalog()
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.ttl <= 0 {
		h.ttl = DefaultSessionTTL
	}
	var err error
	if h.locales, err = loadLocales(); err != nil {
		return nil, err
	}
	if h.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if h.views, err = parseViews(h.funcs()); err != nil {
		return nil, err
	}
	h.throttle = newThrottle(h.now)
	h.routes()
	h.handler = h.observe(h.mux)
	return h, nil
}

// ServeHTTP serves a page, an asset or a form's action.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// routes registers every page.
func (h *Handler) routes() {
	h.mux.Handle("GET /static/{file}", http.HandlerFunc(h.assets.serve))
	h.mux.Handle("GET /{$}", h.page(h.home))
	h.mux.Handle("GET /signin", h.page(h.signinForm))
	h.mux.Handle("POST /signin", h.page(h.signin))
	h.mux.Handle("POST /signout", h.page(h.signout))
	h.registerLicenseRoutes()
	h.registerProductRoutes()
	h.registerMyRoutes()
	h.registerUserRoutes()
	h.registerRoleRoutes()
	h.registerTokenRoutes()
	h.registerDomainRoutes()
	h.registerImportRoutes()
	h.registerHoldRoutes()
	h.registerAuditRoutes()
	h.registerOffboardRoutes()
	h.mux.Handle("/", h.page(func(w http.ResponseWriter, r *http.Request) error {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No such page."}
	}))
}

// home sends a visitor to the page their roles open on.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if s.p.Can(allot.ActionRead) {
		http.Redirect(w, r, "/licenses", http.StatusSeeOther)
	} else {
		http.Redirect(w, r, "/my", http.StatusSeeOther)
	}
	return nil
}
