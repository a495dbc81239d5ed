package graph

import (
	"context"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// apiHandler is a Graph handler: it writes a success response itself and
// returns any error for the adapter to render.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// api wraps an API handler with rate limiting, authentication and error
// rendering.
func (s *Server) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authenticate(w, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := refuseAppMe(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate checks the bearer token and keeps its principal, with Via =
// ChannelAPI, in the request info.
//
// Rate limits (ratelimit.go), each when on: a request without a valid
// token is counted against its client address, and a token not cached is
// looked up only while that address has requests left, so that neither
// anonymous floods nor guessed tokens reach the database; an authenticated
// request is counted against its token and its tenant.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) error {
	secret, err := bearerToken(r)
	if err != nil {
		if err := s.rates.anonymous(w, r); err != nil {
			return err
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="allot"`)
		return err
	}
	p, err := s.tokens.authenticate(r.Context(), secret, func(ctx context.Context, secret string) (allot.Principal, error) {
		if err := s.rates.beforeLookup(w, r); err != nil {
			return allot.Principal{}, err
		}
		return s.svc.Tokens.Authenticate(ctx, secret)
	})
	if err != nil {
		if allot.ErrorCode(err) == allot.EUNAUTHORIZED {
			if err := s.rates.anonymous(w, r); err != nil {
				return err
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="allot", error="invalid_token"`)
		}
		return err
	}
	if err := s.rates.authenticated(w, secret, p.TenantID); err != nil {
		return err
	}
	p.Via = allot.ChannelAPI
	info := infoFrom(r.Context())
	info.principal, info.authed = p, true
	return nil
}

// refuseAppMe answers /me/… for an application, which has no user, as
// Graph answers an app-only token: 400 "/me request is only valid with
// delegated authentication flow.", after the 403 of an application whose
// roles read nothing (a License Checker sees only 403s).
func refuseAppMe(r *http.Request) error {
	p := principalFrom(r)
	if p.AppID == "" || (r.URL.Path != "/v1.0/me" && !strings.HasPrefix(r.URL.Path, "/v1.0/me/")) {
		return nil
	}
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return err
	}
	return badRequest("/me request is only valid with delegated authentication flow.")
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme compared case-insensitively).
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, message: "Access token is empty."}
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", &apiError{status: http.StatusUnauthorized, code: codeUnauthorized,
			message: "Access token is missing or malformed: send the header 'Authorization: Bearer <token>'."}
	}
	return token, nil
}
