package graph

import (
	"crypto/sha256"
	"net/http"
	"strconv"
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
// Rate limiting (when on) comes first and is keyed by a hash of the token
// presented, valid or not, so that a flood of one bad token does not reach
// the database either. Requests without a token are refused before any
// work and are not limited.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) error {
	secret, err := bearerToken(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="allot"`)
		return err
	}
	if s.limiter != nil {
		if wait, ok := s.limiter.allow(sha256.Sum256([]byte(secret))); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			return &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
				message: "Too many requests: this token is over its rate limit. Retry after " + strconv.Itoa(wait) + " seconds."}
		}
	}
	p, err := s.tokens.authenticate(r.Context(), secret, s.svc.Tokens.Authenticate)
	if err != nil {
		if allot.ErrorCode(err) == allot.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="allot", error="invalid_token"`)
		}
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
