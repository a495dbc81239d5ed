package web

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestSignedOut checks that a visitor without a session is sent to the
// sign-in page, back to where they were going.
func TestSignedOut(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	for _, tc := range []struct{ path, want string }{
		{"/", "/signin?next=%2F"},
		{"/licenses", "/signin?next=%2Flicenses"},
		{"/products", "/signin?next=%2Fproducts"},
		{"/my", "/signin?next=%2Fmy"},
	} {
		res := b.get(tc.path)
		if res.status != http.StatusSeeOther || res.header.Get("Location") != tc.want {
			t.Errorf("GET %s: %d %q, want 303 %q", tc.path, res.status, res.header.Get("Location"), tc.want)
		}
	}
	res := b.post("/licenses/"+demo.SKUOffice365E3+"/unassign", url.Values{"csrf": {"x"}, "user": {"y"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/signin?next=%2F" {
		t.Errorf("POST without a session: %d %q, want 303 /signin?next=%%2F", res.status, res.header.Get("Location"))
	}
}

// TestSignIn checks sign-in: a wrong password is refused beside the form,
// a right one sets a new HttpOnly SameSite=Lax session cookie and goes
// back to next; sign-out ends the session for good.
func TestSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	form := b.get("/signin?next=/products")
	if !strings.Contains(form.body, `name="username"`) || !strings.Contains(form.body, `name="password"`) {
		t.Fatalf("sign-in form lacks username or password:\n%s", form.body)
	}
	bad := b.post("/signin", url.Values{"csrf": {form.csrf(t)}, "username": {demo.AdminUPN}, "password": {"wrong password"}, "next": {"/products"}})
	if bad.status != http.StatusUnauthorized || !strings.Contains(bad.text(), "The username or password is incorrect.") {
		t.Errorf("wrong password: %d %q, want 401 and the refusal", bad.status, bad.text())
	}
	res := b.post("/signin", url.Values{"csrf": {bad.csrf(t)}, "username": {demo.AdminUPN}, "password": {testPassword}, "next": {"/products"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/products" {
		t.Fatalf("sign in: %d %q, want 303 /products", res.status, res.header.Get("Location"))
	}
	c := sessionCookieOf(t, res)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("session cookie HttpOnly=%v SameSite=%v Secure=%v, want true Lax false (plain HTTP)", c.HttpOnly, c.SameSite, c.Secure)
	}
	first := c.Value
	if got := b.get("/products"); got.status != http.StatusOK {
		t.Fatalf("GET /products after sign-in: %d", got.status)
	}

	b.signIn(demo.AdminUPN) // signing in again starts a new session and ends the old one
	if _, err := f.db.Authenticate(t.Context(), first); err == nil {
		t.Error("the session before a new sign-in still authenticates")
	}
	pg := b.get("/licenses")
	out := b.post("/signout", url.Values{"csrf": {pg.csrf(t)}})
	if out.status != http.StatusSeeOther || out.header.Get("Location") != "/signin" {
		t.Errorf("sign out: %d %q, want 303 /signin", out.status, out.header.Get("Location"))
	}
	if got := b.get("/licenses"); got.status != http.StatusSeeOther {
		t.Errorf("GET /licenses after sign-out: %d, want 303", got.status)
	}
}

// TestSignInNext checks that sign-in only goes back to a path of this
// site.
func TestSignInNext(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"/licenses?q=a", "/licenses?q=a"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/signin", "/"},
		{"licenses", "/"},
	} {
		if got := localPath(tc.next); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
}

// TestSignInCSRF checks that a sign-in posted without the form's value
// (another site's page) is refused before any password is checked.
func TestSignInCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	res := b.post("/signin", url.Values{"csrf": {"forged"}, "username": {demo.AdminUPN}, "password": {testPassword}})
	if res.status != http.StatusForbidden || f.pw.calls != 0 {
		t.Errorf("forged sign-in: status %d, %d password checks; want 403 and none", res.status, f.pw.calls)
	}
}

// TestSignInSlowdown checks that repeated failures on one account make
// the next attempt wait, even with the right password, and that the wait
// ends.
func TestSignInSlowdown(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	form := b.get("/signin")
	try := func(pw string) page {
		res := b.post("/signin", url.Values{"csrf": {form.csrf(t)}, "username": {demo.AdminUPN}, "password": {pw}})
		if res.status != http.StatusSeeOther {
			form = res
		}
		return res
	}
	for range freeFailures {
		if res := try("wrong password"); res.status != http.StatusUnauthorized {
			t.Fatalf("failure: %d, want 401", res.status)
		}
	}
	calls := f.pw.calls
	res := try(testPassword)
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.text(), "Try again in 1 second.") || f.pw.calls != calls {
		t.Errorf("attempt during the wait: %d %q, %d checks; want 429, the wait, no check", res.status, res.text(), f.pw.calls-calls)
	}
	f.now = f.now.Add(2 * time.Second)
	if res := try(testPassword); res.status != http.StatusSeeOther {
		t.Errorf("attempt after the wait: %d, want 303", res.status)
	}
}

func sessionCookieOf(t *testing.T, p page) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

// TestSecureCookies checks that cookies are Secure over TLS, or behind a
// TLS proxy when configured, and not on plain HTTP otherwise.
func TestSecureCookies(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		tls    bool
		secure bool
		want   bool
	}{
		{"plain", false, false, false},
		{"TLS", true, false, true},
		{"proxy", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(f.svc, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SecureCookies: tc.secure})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/signin", nil)
			if !tc.tls {
				r.TLS = nil
			} else if r.TLS == nil {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			cs := w.Result().Cookies()
			if len(cs) == 0 || cs[0].Secure != tc.want || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
				t.Errorf("cookies %v, want Secure=%v HttpOnly SameSite=Lax", cs, tc.want)
			}
		})
	}
}

// TestSessionEndsWhenBlocked checks that blocking a user ends their
// session at the next request: every page authenticates the session.
func TestSessionEndsWhenBlocked(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn("allan@" + demo.Domain)
	if got := b.get("/licenses").status; got != http.StatusOK {
		t.Fatalf("GET /licenses: %d", got)
	}
	blocked := false
	if _, err := f.db.UpdateUser(t.Context(), f.sysUser, "allan@"+demo.Domain, allot.UserUpdate{AccountEnabled: &blocked}); err != nil {
		t.Fatal(err)
	}
	if res := b.get("/licenses"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/signin") {
		t.Errorf("GET /licenses after blocking: %d %q, want 303 to /signin", res.status, res.header.Get("Location"))
	}
}
