package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// signinPage is the data of the sign-in page.
type signinPage struct {
	base
	Username string
	Next     string
	Error    string // why the last attempt failed, in the page's language
}

// signinForm shows the sign-in form, with a fresh pre-session CSRF value
// in a cookie and the form (double submit: a page of another site can
// post the form but not read the cookie).
func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) error {
	return h.showSignin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), "")
}

// showSignin renders the sign-in form with status and an error message.
func (h *Handler) showSignin(w http.ResponseWriter, r *http.Request, status int, username, next, msg string) error {
	var token string
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) == 32 {
		token = c.Value // another tab's sign-in form stays valid
	} else {
		var b [24]byte
		rand.Read(b[:])
		token = base64.RawURLEncoding.EncodeToString(b[:])
	}
	h.setCookie(w, r, preCSRFCookie, token, 3600)
	pg := &signinPage{base: h.base(r, "signin.title", ""), Username: username, Next: localPath(next), Error: msg}
	pg.CSRF = token
	h.render(w, r, status, "signin", pg)
	return nil
}

// signin checks the form's CSRF value, the slowdown and the password,
// then starts a new session: a fresh token, whatever session the browser
// held before is revoked, so a session id fixed by someone else is never
// the signed-in one.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) error {
	username := strings.TrimSpace(r.PostFormValue("username"))
	next := r.PostFormValue("next")
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || !(&session{csrf: c.Value}).validCSRF(r.PostFormValue(csrfField)) {
		return errCSRF
	}
	lang := requestOf(r).lang
	keys := []string{accountKey + strings.ToLower(username), addressKey + clientAddr(r, h.proxies)}
	if wait := h.throttle.wait(keys...); wait > 0 {
		msg := h.locales.plural(lang, "signin.slowdown", int((wait+time.Second-1)/time.Second))
		return h.showSignin(w, r, http.StatusTooManyRequests, username, next, msg)
	}
	secret, _, err := h.svc.Passwords.SignIn(r.Context(), username, r.PostFormValue("password"), h.ttl)
	if allot.ErrorCode(err) == allot.EUNAUTHORIZED {
		h.throttle.fail(keys...)
		return h.showSignin(w, r, http.StatusUnauthorized, username, next, h.locales.text(lang, "signin.failed"))
	} else if err != nil {
		return err
	}
	h.throttle.succeed(keys[0])
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" && old.Value != secret {
		h.svc.Tokens.RevokeToken(r.Context(), old.Value) // an old or planted session; unknown is fine
	}
	h.clearCookie(w, r, preCSRFCookie)
	h.setCookie(w, r, sessionCookie, secret, 0)
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	return nil
}

// signout revokes the session's token and forgets the cookie.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := h.svc.Tokens.RevokeToken(r.Context(), s.secret); err != nil && allot.ErrorCode(err) != allot.ENOTFOUND {
		return err
	}
	h.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// clientAddr is the address of the client, the key of the per-address
// slowdown: the peer's, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For address that is not itself a trusted proxy
// (the left-most ones are the client's to set at will), as the API's
// rate limits decide it.
func clientAddr(r *http.Request, proxies []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	client := ap.Addr().Unmap()
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0 && trusted(client, proxies); i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0 && trusted(client, proxies); j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client.String()
			}
			client = a.Unmap()
		}
	}
	return client.String()
}

// trusted reports whether a is in one of the proxies' ranges.
func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
