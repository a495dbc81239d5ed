package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/allot-project/allot"
)

// The cookies the admin center sets.
const (
	sessionCookie = "allot_session" // the session token's secret
	preCSRFCookie = "allot_signin"  // the sign-in form's CSRF value, before any session
	langCookie    = "allot_lang"    // the language chosen with the switch
	csrfField     = "csrf"          // the hidden field of every form
)

// session is a signed-in visitor: the principal of its token and the
// CSRF value of its forms.
type session struct {
	p      allot.Principal
	secret string
	csrf   string
}

// csrfFor derives a session's CSRF value from its secret, so the server
// stores nothing and a new session gets a new value.
func csrfFor(secret string) string {
	sum := sha256.Sum256([]byte("csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validCSRF compares a posted CSRF value with the session's in constant
// time.
func (s *session) validCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// session returns the request's session, authenticating its cookie's
// token once per request (a revoked token, a blocked or deleted user ends
// the session at the next request). Returns errSignedOut without one.
func (h *Handler) session(r *http.Request) (*session, error) {
	rq := requestOf(r)
	if rq.sess != nil {
		return rq.sess, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errSignedOut
	}
	p, err := h.svc.Tokens.Authenticate(r.Context(), c.Value)
	if allot.ErrorCode(err) == allot.EUNAUTHORIZED {
		return nil, errSignedOut
	} else if err != nil {
		return nil, err
	}
	if p.UserID == "" {
		return nil, errSignedOut // an application's token opens no session
	}
	p.Via = allot.ChannelUI
	rq.sess = &session{p: p, secret: c.Value, csrf: csrfFor(c.Value)}
	return rq.sess, nil
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure over TLS or when configured; maxAge 0 makes it last the browser
// session.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: h.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// clearCookie removes a cookie.
func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	h.setCookie(w, r, name, "", -1)
}

// language picks the page's language: a ?lang= switch (remembered in a
// cookie), else the remembered choice, else Accept-Language; English by
// default.
func (h *Handler) language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); h.locales.has(l) {
		h.setCookie(w, r, langCookie, l, 365*24*3600)
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && h.locales.has(c.Value) {
		return c.Value
	}
	return h.locales.negotiate(r.Header.Get("Accept-Language"))
}

// localPath returns next if it is a path of this site to go back to after
// sign-in, else "/" (an open redirect would send a visitor elsewhere).
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") ||
		strings.HasPrefix(u.Path, "/signin") {
		return "/"
	}
	return next
}
