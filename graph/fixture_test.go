package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// SKUs of the demo catalog the fixture subscribes to.
const (
	skuE3          = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3: Exchange plan 2
	skuExchangeStd = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD: Exchange plan 1, 1 seat
	skuArchive     = "ee02fd1b-340e-4a4b-b355-4a514e4c8943" // EXCHANGEARCHIVE_ADDON: needs an Exchange plan
	skuSelfService = "f245ecc8-75af-4f8e-b61f-27d8114de5f3" // O365_BUSINESS_PREMIUM, bought by the ordinary user
	skuNotOwned    = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK: in the catalog, not subscribed
	skuUnknown     = "11111111-2222-3333-4444-555555555555" // in no catalog
	planExchange2  = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE, part of E3
	planTeams      = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1, part of E3
)

// The callers of the role tests: a user holding each role, an ordinary
// user, and requests with no, a bad, an expired or a revoked token.
const (
	callerGlobal   = "global"
	callerLicense  = "license"
	callerUser     = "user"
	callerBilling  = "billing"
	callerReader   = "reader"
	callerOrdinary = "ordinary"
	callerNone     = "none"
	callerBad      = "bad"
	callerExpired  = "expired"
	callerRevoked  = "revoked"
)

var callers = []string{callerGlobal, callerLicense, callerUser, callerBilling, callerReader, callerOrdinary,
	callerNone, callerBad, callerExpired, callerRevoked}

var callerRoles = map[string]allot.Role{
	callerGlobal: allot.RoleGlobalAdmin, callerLicense: allot.RoleLicenseAdmin, callerUser: allot.RoleUserAdmin,
	callerBilling: allot.RoleBillingAdmin, callerReader: allot.RoleGlobalReader,
}

// clock is the settable time of the store and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tenantFixture is one tenant with a user per caller, a target user, a
// user without usage location and four subscriptions.
type tenantFixture struct {
	tenant *allot.Tenant
	users  map[string]*allot.User         // by caller, plus "target" and "nolocation"
	tokens map[string]string              // by caller
	subs   map[string]*allot.Subscription // by SKU id
}

// fixture is a real SQLite store with two tenants and a server over it.
type fixture struct {
	db    *sqlstore.DB
	clock *clock
	srv   *Server
	logs  *syncBuffer
	a, b  *tenantFixture
	seq   atomic.Int64
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var sys = func(tenantID string) allot.Principal { return allot.SystemPrincipal(tenantID, "test") }

// newFixture builds the fixture; opts adjust the server's options.
func newFixture(t testing.TB, opts ...func(*Options, *Services)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: f.clock.Now, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.a = f.buildTenant(t, "Contoso", "contoso.example")
	f.b = f.buildTenant(t, "Fabrikam", "fabrikam.example")
	f.clock.Add(2 * time.Hour) // the expired tokens expire
	svc := Services{Tenants: db, Subscriptions: db, Users: db, Licenses: db, Roles: db, Audit: db, Tokens: db, Domains: db, Catalog: db.Catalog(), Data: db, Holds: db, Offboard: db, SelfService: db}
	o := Options{Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Now: f.clock.Now, PublicURL: "http://allot.test", OperationDir: t.TempDir()}
	for _, fn := range opts {
		fn(&o, &svc)
	}
	f.srv = NewServer(svc, o)
	return f
}

func (f *fixture) buildTenant(t testing.TB, name, domain string) *tenantFixture {
	t.Helper()
	ctx := context.Background()
	tf := &tenantFixture{tenant: &allot.Tenant{Name: name, Domain: domain}, users: map[string]*allot.User{},
		tokens: map[string]string{}, subs: map[string]*allot.Subscription{}}
	must(t, f.db.CreateTenant(ctx, tf.tenant))
	p := sys(tf.tenant.ID)
	for _, c := range []string{callerGlobal, callerLicense, callerUser, callerBilling, callerReader, callerOrdinary, "target"} {
		tf.users[c] = f.createUser(t, tf, c, "US")
		if r, ok := callerRoles[c]; ok {
			must(t, f.db.AssignRole(ctx, p, tf.users[c].ID, r))
		}
		if c != "target" {
			tf.tokens[c] = f.token(t, tf, c, 365*24*time.Hour)
		}
	}
	tf.users["nolocation"] = f.createUser(t, tf, "nolocation", "")
	tf.tokens[callerExpired] = f.token(t, tf, callerGlobal, time.Hour)
	tf.tokens[callerRevoked] = f.token(t, tf, callerGlobal, 365*24*time.Hour)
	must(t, f.db.RevokeToken(ctx, tf.tokens[callerRevoked]))
	tf.tokens[callerBad] = "allot_" + strings.ReplaceAll(tf.tenant.ID, "-", "") + "_" + strings.Repeat("A", 43)
	for sku, qty := range map[string]int{skuE3: 100, skuExchangeStd: 1, skuArchive: 5} {
		s := &allot.Subscription{SKUID: sku, Quantity: qty, RecurringBilling: true}
		must(t, f.db.CreateSubscription(ctx, p, s))
		tf.subs[sku] = s
	}
	s := &allot.Subscription{SKUID: skuSelfService, Quantity: 3, OwnerType: allot.OwnerUser, PurchasedBy: tf.users[callerOrdinary].ID}
	must(t, f.db.CreateSubscription(ctx, p, s))
	tf.subs[skuSelfService] = s
	return tf
}

func (f *fixture) createUser(t testing.TB, tf *tenantFixture, name, location string) *allot.User {
	t.Helper()
	u := &allot.User{UserPrincipalName: name + "@" + tf.tenant.Domain, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " User",
		GivenName: name, Surname: "Tester", UsageLocation: location, AccountEnabled: true}
	must(t, f.db.CreateUser(context.Background(), sys(tf.tenant.ID), u))
	return u
}

// freshUser creates a new user with a unique name, for tests that change
// or delete it.
func (f *fixture) freshUser(t testing.TB, tf *tenantFixture) *allot.User {
	t.Helper()
	return f.createUser(t, tf, fmt.Sprintf("fresh%d", f.seq.Add(1)), "US")
}

// deletedUser creates a user holding an E3 license and deletes it.
func (f *fixture) deletedUser(t testing.TB, tf *tenantFixture) *allot.User {
	t.Helper()
	u := f.freshUser(t, tf)
	ctx := context.Background()
	_, err := f.db.AssignLicenses(ctx, sys(tf.tenant.ID), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	must(t, f.db.DeleteUser(ctx, sys(tf.tenant.ID), u.ID))
	return u
}

func (f *fixture) token(t testing.TB, tf *tenantFixture, caller string, ttl time.Duration) string {
	t.Helper()
	secret, _, err := f.db.CreateToken(context.Background(), tf.tenant.ID, tf.users[caller].UserPrincipalName, ttl)
	must(t, err)
	return secret
}

// consumed returns the consumed units of a SKU in a tenant.
func (f *fixture) consumed(t testing.TB, tf *tenantFixture, sku string) int {
	t.Helper()
	s, err := f.db.FindSubscribedSKU(context.Background(), sys(tf.tenant.ID), sku)
	must(t, err)
	return s.Consumed
}

// licenses returns the SKU ids a user holds, in order.
func (f *fixture) licenses(t testing.TB, tf *tenantFixture, id string) []string {
	t.Helper()
	u, err := f.db.FindUser(context.Background(), sys(tf.tenant.ID), id)
	must(t, err)
	var out []string
	for _, l := range u.Licenses {
		out = append(out, l.SKUID)
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// request is one HTTP request of a test.
type request struct {
	method, path string
	token        string
	body         []byte
	header       map[string]string
}

// response is a recorded response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do serves one request through the whole handler.
func (f *fixture) do(t testing.TB, rq request) *response {
	t.Helper()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, "http://allot.test"+rq.path, body)
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return &response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// get is do for a GET with a caller's token.
func (f *fixture) get(t testing.TB, tf *tenantFixture, caller, path string, header ...string) *response {
	t.Helper()
	rq := request{method: "GET", path: path, token: tf.tokens[caller], header: map[string]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		rq.header[header[i]] = header[i+1]
	}
	return f.do(t, rq)
}

// send is do for a request with a JSON body and a caller's token.
func (f *fixture) send(t testing.TB, tf *tenantFixture, caller, method, path, body string) *response {
	t.Helper()
	return f.do(t, request{method: method, path: path, token: tf.tokens[caller], body: []byte(body)})
}

// object decodes a JSON object body.
func (r *response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// values returns the "value" array of a collection body.
func (r *response) values(t testing.TB) []map[string]any {
	t.Helper()
	var c struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatalf("body is not a collection: %v\n%s", err, r.body)
	}
	return c.Value
}

// graphError is a decoded error envelope.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Code, Message, Target string
		} `json:"details"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// envelope checks that r is a well-formed Graph error and returns it.
func (r *response) envelope(t testing.TB) graphError {
	t.Helper()
	var e graphError
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, r.body)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("error envelope lacks code or message: %s", r.body)
	}
	if e.Error.InnerError.RequestID == "" || e.Error.InnerError.RequestID != r.header.Get("request-id") {
		t.Errorf("innerError.request-id = %q, header request-id = %q", e.Error.InnerError.RequestID, r.header.Get("request-id"))
	}
	if !strings.HasSuffix(e.Error.InnerError.Date, "Z") {
		t.Errorf("innerError.date = %q, want UTC with Z", e.Error.InnerError.Date)
	}
	return e
}

// diff returns "-want +got" lines when want and got differ, else "".
func diff(want, got any) string {
	w, _ := json.MarshalIndent(want, "", "  ")
	g, _ := json.MarshalIndent(got, "", "  ")
	if bytes.Equal(w, g) {
		return ""
	}
	wl, gl := strings.Split(string(w), "\n"), strings.Split(string(g), "\n")
	var b strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var a, c string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			c = gl[i]
		}
		if a != c {
			if i < len(wl) {
				fmt.Fprintf(&b, "-%s\n", a)
			}
			if i < len(gl) {
				fmt.Fprintf(&b, "+%s\n", c)
			}
		} else {
			fmt.Fprintf(&b, " %s\n", a)
		}
	}
	return b.String()
}
