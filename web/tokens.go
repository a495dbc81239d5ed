package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// registerTokenRoutes registers Tokens: the organization's API tokens,
// for Global Administrators (ActionManageRoles).
func (h *Handler) registerTokenRoutes() {
	h.mux.Handle("GET /tokens", h.page(h.tokens))
	h.mux.Handle("POST /tokens", h.page(h.createToken))
	h.mux.Handle("POST /tokens/revoke", h.page(h.revokeToken))
}

// defaultTokenDays is how long a new token lasts unless the form says.
const defaultTokenDays = 90

// tokenRow is one token of the list.
type tokenRow struct {
	*allot.Token
	Active bool // neither revoked nor expired
}

// tokensPage is the data of Tokens.
type tokensPage struct {
	base
	Tokens []tokenRow
	Roles  []allot.Role // the roles an application may be given
	Form   struct {
		App, Days, Error, Field string
		Roles                   []allot.Role
	}
	Secret   string       // the new token's secret, shown once
	NewToken *allot.Token // the token just made
	Error    string       // why the last revocation was refused
}

// Checked reports whether the form gives role r.
func (pg *tokensPage) Checked(r allot.Role) bool { return slices.Contains(pg.Form.Roles, r) }

// tokens lists the organization's tokens.
func (h *Handler) tokens(w http.ResponseWriter, r *http.Request) error {
	return h.showTokens(w, r, http.StatusOK, nil)
}

// showTokens renders Tokens; edit, if not nil, sets the form as posted,
// the new secret or a refusal.
func (h *Handler) showTokens(w http.ResponseWriter, r *http.Request, status int, edit func(*tokensPage)) error {
	s, err := h.tokenManager(r)
	if err != nil {
		return err
	}
	ts, err := h.svc.Tokens.FindTokens(r.Context(), s.p)
	if err != nil {
		return err
	}
	pg := &tokensPage{base: h.base(r, "tokens.title", "tokens"), Roles: allot.Roles}
	pg.Form.Days, pg.Form.Roles = strconv.Itoa(defaultTokenDays), []allot.Role{allot.RoleLicenseChecker}
	now := h.now()
	for i := len(ts) - 1; i >= 0; i-- { // newest first
		t := ts[i]
		pg.Tokens = append(pg.Tokens, tokenRow{Token: t, Active: t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)})
	}
	if edit != nil {
		edit(pg)
	}
	h.render(w, r, status, "tokens", pg)
	return nil
}

// tokenManager returns the session of a visitor who may manage tokens.
func (h *Handler) tokenManager(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	return s, allot.Authorize(s.p, allot.ActionManageRoles)
}

// createToken issues an application's token with the roles ticked and
// shows its secret once; a refusal is shown beside the form.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	s, err := h.tokenManager(r)
	if err != nil {
		return err
	}
	app, days := strings.TrimSpace(r.PostFormValue("app")), strings.TrimSpace(r.PostFormValue("days"))
	var roles []allot.Role
	for _, v := range r.PostForm["role"] {
		roles = append(roles, allot.Role(v))
	}
	n, _ := strconv.Atoi(days) // not a number: 0, refused as a lifetime
	secret, t, err := h.svc.Tokens.CreateAppToken(r.Context(), s.p, app, roles, time.Duration(n)*24*time.Hour)
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		msg, field := h.tokenErrorText(requestOf(r).lang, err)
		return h.showTokens(w, r, http.StatusBadRequest, func(pg *tokensPage) {
			pg.Form.App, pg.Form.Days, pg.Form.Roles, pg.Form.Error, pg.Form.Field = app, days, roles, msg, field
		})
	}
	return h.showTokens(w, r, http.StatusOK, func(pg *tokensPage) { pg.Secret, pg.NewToken = secret, t })
}

// tokenErrorText says in lang why a token was refused, and which control
// it is about.
func (h *Handler) tokenErrorText(lang string, err error) (msg, field string) {
	var e *allot.Error
	if !errors.As(err, &e) {
		return h.errorText(lang, err, nil), ""
	}
	t := func(key string) string { return h.locales.text(lang, key) }
	switch e.Field {
	case "app":
		return t("tokens.badApp"), "app"
	case "roles", "role":
		return t("tokens.badRoles"), "roles"
	}
	if e.Code == allot.EINVALID {
		return t("tokens.badDays"), "days"
	}
	return h.errorText(lang, err, nil), ""
}

// revokeToken revokes a token of the organization.
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	s, err := h.tokenManager(r)
	if err != nil {
		return err
	}
	if err := h.svc.Tokens.RevokeTenantToken(r.Context(), s.p, r.PostFormValue("id")); err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		msg := h.locales.text(requestOf(r).lang, "tokens.notActive")
		return h.showTokens(w, r, http.StatusBadRequest, func(pg *tokensPage) { pg.Error = msg })
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}
