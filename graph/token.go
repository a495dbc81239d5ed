package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/allot-project/allot"
)

// This file is allot's own API of access tokens (not Graph's): a Global
// Administrator issues tokens to applications, lists every token of the
// tenant and revokes one by id. Every route needs ActionManageRoles, since
// a token carries roles.

// DefaultAppTokenTTL is the lifetime of an application's token when the
// request gives none.
const DefaultAppTokenTTL = 90 * 24 * time.Hour

// TokenRequest is the body of POST /api/tokens: the application's name,
// its roles (display names or role definition ids) and the token's
// lifetime as a Go duration ("720h"; empty for DefaultAppTokenTTL).
type TokenRequest struct {
	App   string   `json:"app"`
	Roles []string `json:"roles"`
	TTL   string   `json:"ttl,omitempty"`
}

// TokenInfo is a token as /api/tokens shows it; Secret is set only in the
// answer of its creation, the one time it is shown.
type TokenInfo struct {
	ID         string     `json:"id"`
	Secret     string     `json:"secret,omitempty"`
	OwnerType  string     `json:"ownerType"` // "user" or "application"
	OwnerID    string     `json:"ownerId"`
	Owner      string     `json:"owner"` // userPrincipalName or application name
	Created    time.Time  `json:"createdDateTime"`
	Expiration time.Time  `json:"expirationDateTime"`
	Revoked    *time.Time `json:"revokedDateTime"`
}

// NewTokenInfo describes t, without its secret.
func NewTokenInfo(t *allot.Token) TokenInfo {
	ti := TokenInfo{ID: t.ID, OwnerType: allot.PrincipalUser, OwnerID: t.UserID, Owner: t.Owner, Created: t.CreatedAt, Expiration: t.ExpiresAt}
	if t.AppID != "" {
		ti.OwnerType, ti.OwnerID = allot.PrincipalApp, t.AppID
	}
	if !t.RevokedAt.IsZero() {
		r := t.RevokedAt
		ti.Revoked = &r
	}
	return ti
}

func (s *Server) registerTokenRoutes() {
	s.route("GET /api/tokens", s.listTokens)
	s.route("POST /api/tokens", s.createToken)
	s.route("DELETE /api/tokens/{id}", s.revokeToken)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.svc.Tokens.FindTokens(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	out := make([]TokenInfo, len(ts))
	for i, t := range ts {
		out[i] = NewTokenInfo(t)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// createToken answers 201 with the token and its secret.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := allot.Authorize(principalFrom(r), allot.ActionManageRoles); err != nil {
		return err
	}
	body, err := s.readWriteBody(w, r)
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return badRequest("The body must be {\"app\": \"name\", \"roles\": [\"License Checker\"], \"ttl\": \"720h\"}: " + jsonErrorText(err))
	}
	ttl := DefaultAppTokenTTL
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil {
			return &allot.Error{Code: allot.EINVALID, Field: "ttl", Value: req.TTL, Message: fmt.Sprintf("ttl %q is not a duration such as 720h.", truncate(req.TTL, 40))}
		}
	}
	roles := make([]allot.Role, len(req.Roles))
	for i, name := range req.Roles {
		if roles[i], err = allot.FindRole(name); err != nil {
			return &allot.Error{Code: allot.EINVALID, Field: "roles", Value: name, Message: allot.ErrorMessage(err)}
		}
	}
	secret, t, err := s.svc.Tokens.CreateAppToken(r.Context(), principalFrom(r), req.App, roles, ttl)
	if err != nil {
		return err
	}
	ti := NewTokenInfo(t)
	ti.Secret = secret
	return writeJSON(w, http.StatusCreated, ti)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Tokens.RevokeTenantToken(r.Context(), principalFrom(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
