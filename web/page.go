package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/allot-project/allot"
)

// request is what the middleware and the handlers of one request share.
type request struct {
	id   string // shown on the error page and logged
	lang string // "en" or "fr"
	sess *session
}

type requestKey struct{}

// requestOf returns the request's shared state; a blank one outside the
// middleware (handlers called directly in tests).
func requestOf(r *http.Request) *request {
	if rq, ok := r.Context().Value(requestKey{}).(*request); ok {
		return rq
	}
	return &request{lang: "en"}
}

// pageFunc serves a page or a form's action and returns what went wrong;
// the adapter renders it.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// contentSecurityPolicy allows the page's own scripts, styles and images
// only; no inline script or style, no framing, forms posted to the page's
// own origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setPageHeaders sets the security headers of every page.
func setPageHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// observe is the outermost middleware: a request id, the security
// headers, the page's language, panic recovery and one log line.
func (h *Handler) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rq := &request{id: newID()}
		rq.lang = h.language(w, r)
		setPageHeaders(w.Header())
		w.Header().Set("request-id", rq.id)
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { // a download cut short: the client must see it fail
					panic(v)
				}
				h.log.ErrorContext(r.Context(), "panic", "request_id", rq.id, "panic", v, "stack", string(debug.Stack()))
				h.renderError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
		h.log.InfoContext(r.Context(), "page", "method", r.Method, "path", r.URL.Path, "request_id", rq.id, "duration", time.Since(start))
	})
}

// newID returns a random request id.
func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// page adapts a pageFunc: every POST but the sign-in form's needs a
// session and its CSRF value; an error is rendered as a page.
func (h *Handler) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.guard(r); err != nil {
			h.renderError(w, r, err)
			return
		}
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	})
}

// errSignedOut is returned where a page needs a session and has none.
var errSignedOut = &allot.Error{Code: allot.EUNAUTHORIZED, Message: "Sign in first."}

// errCSRF is returned for a form posted without this session's CSRF value.
var errCSRF = &allot.Error{Code: allot.EFORBIDDEN, Field: "csrf", Message: "The form is not from this session."}

// guard checks a POST: the sign-in form carries its own check; every other
// form needs a session and its CSRF value.
func (h *Handler) guard(r *http.Request) error {
	if r.Method != http.MethodPost || r.URL.Path == "/signin" {
		return nil
	}
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if !s.validCSRF(r.PostFormValue(csrfField)) {
		return errCSRF
	}
	return nil
}

// errorPage is the data of the error page.
type errorPage struct {
	base
	Status  int
	Message string
}

// renderError answers err: signed-out visitors go to the sign-in page,
// known errors get their status and a message in the page's language,
// anything else a 500 with the request id, logged once.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	rq := requestOf(r)
	if errors.Is(err, errSignedOut) || allot.ErrorCode(err) == allot.EUNAUTHORIZED {
		next := "/" // a form's action cannot be opened again after sign-in
		if r.Method == http.MethodGet {
			next = localPath(r.URL.RequestURI())
		}
		h.clearCookie(w, r, sessionCookie)
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	status, key := http.StatusInternalServerError, "error.internal"
	var ke *keyedError
	switch allot.ErrorCode(err) {
	case allot.EINTERNAL:
		if errors.As(err, &ke) {
			status, key = ke.status, ke.key
			break
		}
		h.log.ErrorContext(r.Context(), "internal error", "request_id", rq.id, "err", err)
	case allot.ENOTFOUND:
		status, key = http.StatusNotFound, "error.notFound"
	case allot.EFORBIDDEN:
		status, key = http.StatusForbidden, "error.forbidden"
		if errors.Is(err, errCSRF) {
			key = "error.csrf"
		}
	default:
		status, key = http.StatusBadRequest, ""
	}
	b := h.base(r, "error.title", "")
	msg := b.T(key)
	if key == "" {
		msg = h.errorText(b.Lang, err, nil)
	}
	h.render(w, r, status, "error", &errorPage{base: b, Status: status, Message: msg})
}

// render executes view with data into a buffer and writes it with status;
// a template that fails writes a plain 500, never half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, view string, data any) {
	var buf bytes.Buffer
	if err := h.views.execute(&buf, view, data); err != nil {
		rq := requestOf(r)
		h.log.ErrorContext(r.Context(), "template", "view", view, "request_id", rq.id, "err", err)
		http.Error(w, "Internal error. Request id: "+rq.id, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
