package web

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// testPassword is the password every demo user has in the unit tests.
const testPassword = "correct horse battery"

// fakePasswords stands in for allot.PasswordService in the unit tests
// (the browser tests use the store's): every user of the tenant has
// testPassword.
type fakePasswords struct {
	tokens   allot.TokenService
	tenantID string
	calls    int
}

func (f *fakePasswords) SetPassword(ctx context.Context, tenantID, idOrUPN, password string) error {
	return allot.Errorf(allot.ENOTIMPL, "not in the unit tests")
}

func (f *fakePasswords) SignIn(ctx context.Context, username, password string, ttl time.Duration) (string, *allot.Token, error) {
	f.calls++
	if password != testPassword {
		return "", nil, allot.Errorf(allot.EUNAUTHORIZED, "Wrong username or password.")
	}
	secret, t, err := f.tokens.CreateToken(ctx, f.tenantID, username, ttl)
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return "", nil, allot.Errorf(allot.EUNAUTHORIZED, "Wrong username or password.")
	}
	return secret, t, err
}

// fixture is the demo tenant in a real SQLite database behind the admin
// center.
type fixture struct {
	db      *sqlstore.DB
	tenant  *allot.Tenant
	h       *Handler
	srv     *httptest.Server
	pw      *fakePasswords
	now     time.Time
	svc     Services
	sysUser allot.Principal
	chunk   int // users per step of a large unassignment; 0 keeps the default
	count   int // how far users' lists count; 0 keeps the default
}

// newFixture seeds the demo tenant and serves the admin center over it;
// edit adjusts the fixture's services before the handler is built.
func newFixture(t *testing.T, edit ...func(*fixture)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: clock, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	if f.tenant, err = demo.Seed(ctx, db, f.now); err != nil {
		t.Fatal(err)
	}
	f.sysUser = allot.SystemPrincipal(f.tenant.ID, "test")
	f.pw = &fakePasswords{tokens: db, tenantID: f.tenant.ID}
	f.svc = Services{Users: db, Licenses: db, Subscriptions: db, Tokens: db, Passwords: f.pw, Audit: db, Seats: db, Data: db, Holds: db, Offboard: db, SelfService: db, Roles: db, Domains: db, Imports: db, Catalog: db.Catalog()}
	for _, e := range edit {
		e(f)
	}
	if f.h, err = New(f.svc, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock}); err != nil {
		t.Fatal(err)
	}
	if f.chunk > 0 {
		f.h.chunk = f.chunk
	}
	if f.count > 0 {
		f.h.count = f.count
	}
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so tests see them.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	lang string // Accept-Language
}

// page is an answer read whole.
type page struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) browser(t *testing.T) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, f: f, c: c, lang: "en"}
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", b.lang)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf returns the CSRF value of the first form of a page.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return html.UnescapeString(m[1])
}

// text returns the page's body with tags removed and entities decoded,
// whitespace collapsed: what a reader sees.
func (p page) text() string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(p.body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// signIn signs in as upn and fails the test unless it worked.
func (b *browser) signIn(upn string) {
	b.t.Helper()
	form := b.get("/signin")
	res := b.post("/signin", url.Values{"csrf": {form.csrf(b.t)}, "username": {upn}, "password": {testPassword}})
	if res.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d, want 303:\n%s", upn, res.status, res.text())
	}
}

// userID returns the id of the demo user upn.
func (f *fixture) userID(t *testing.T, upn string) string {
	t.Helper()
	u, err := f.db.FindUser(context.Background(), f.sysUser, upn)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// holds reports whether user upn holds skuID.
func (f *fixture) holds(t *testing.T, upn, skuID string) bool {
	t.Helper()
	u, err := f.db.FindUser(context.Background(), f.sysUser, upn)
	if err != nil {
		t.Fatal(err)
	}
	return u.License(skuID) != nil
}
