package graph

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

func (s *Server) registerUserRoutes() {
	s.route("GET /v1.0/users", s.listUsers)
	s.route("POST /v1.0/users", s.createUser)
	s.route("GET /v1.0/users/$count", s.countUsers)
	s.route("GET /v1.0/users/{id}", s.getUser)
	s.route("PATCH /v1.0/users/{id}", s.updateUser)
	s.route("DELETE /v1.0/users/{id}", s.deleteUser)
	s.route("GET /v1.0/me", s.getMe)
}

// userListOptions are the query options of user listings.
const userListOptions = optSelect | optFilter | optTop | optCount | optSkipToken

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	return s.writeUserPage(w, r, false)
}

// writeUserPage answers a listing of users, or of deleted users: one page
// of $top (default 100) in id order, with @odata.nextLink when more follow
// and @odata.count with $count=true.
func (s *Server) writeUserPage(w http.ResponseWriter, r *http.Request, deleted bool) error {
	q, err := parseQueryOptions(r, userListOptions)
	if err != nil {
		return err
	}
	sel, err := usersType(deleted).selectProps(q.sel)
	if err != nil {
		return err
	}
	f, err := listFilter(r, q, deleted)
	if err != nil {
		return err
	}
	f.After, f.Limit, f.WithLicenses = q.after, q.top, needsLicenses(sel.names)
	p := principalFrom(r)
	total := 0
	if q.count {
		if total, err = s.svc.Users.CountUsers(r.Context(), p, f); err != nil {
			return err
		}
	}
	users, more, err := s.svc.Users.FindUsers(r.Context(), p, f)
	if err != nil {
		return err
	}
	path := "users"
	if deleted {
		path = "directory/deletedItems/microsoft.graph.user"
	}
	views := s.userViews(users)
	if err := s.loadData(r, sel.names, views); err != nil {
		return err
	}
	body := sel.collectionBody(r, path, views)
	if q.count {
		body["@odata.count"] = total
	}
	if more && len(users) > 0 {
		body["@odata.nextLink"] = nextLink(r, users[len(users)-1].ID)
	}
	return writeJSON(w, http.StatusOK, body)
}

// listFilter turns a listing's $filter and $count into a domain filter.
//
// Graph's advanced-query rule, as allot applies it: $count=true needs the
// header "ConsistencyLevel: eventual" (else 400 Request_BadRequest), and a
// $filter on assignedLicenses/$count needs both that header and $count=true
// (else 400 Request_UnsupportedQuery), as Graph documents for advanced
// queries. assignedLicenses/any(…) works with or without them, since
// Graph's own example runs it without (graph-api.md §3). Deleted users
// cannot be filtered on assignedLicenses: the domain filters on the active
// licenses only.
func listFilter(r *http.Request, q *queryOptions, deleted bool) (allot.UserFilter, error) {
	if q.count && !eventual(r) {
		return allot.UserFilter{}, errNeedsEventual
	}
	uq := &userQuery{}
	if q.hasFilter {
		var err error
		if uq, err = parseFilter(q.filter); err != nil {
			return allot.UserFilter{}, err
		}
	}
	if uq.advanced && !(q.count && eventual(r)) {
		return allot.UserFilter{}, unsupportedQuery("The filter 'assignedLicenses/$count' is an advanced query: send the header 'ConsistencyLevel: eventual' and $count=true with it.")
	}
	if deleted && uq.licenses {
		return allot.UserFilter{}, unsupportedQuery("Deleted users cannot be filtered on assignedLicenses.")
	}
	uq.filter.Deleted = deleted
	return uq.filter, nil
}

// countUsers answers /users/$count: the number of users matching $filter as
// plain text. Like Graph it needs "ConsistencyLevel: eventual".
func (s *Server) countUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQueryOptions(r, optFilter)
	if err != nil {
		return err
	}
	if !eventual(r) {
		return errNeedsEventual
	}
	q.count = true // the $count segment stands for $count=true
	f, err := listFilter(r, q, false)
	if err != nil {
		return err
	}
	n, err := s.svc.Users.CountUsers(r.Context(), principalFrom(r), f)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write([]byte(strconv.Itoa(n)))
	return err
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	return s.writeUser(w, r, r.PathValue("id"))
}

// getMe answers /me: the caller's own user.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	return s.writeUser(w, r, principalFrom(r).UserID)
}

// writeUser answers one user by id or userPrincipalName, with $select.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, id string) error {
	sel, err := parseSelect(r, userType)
	if err != nil {
		return err
	}
	u, err := s.readUser(r.Context(), principalFrom(r), id, needsLicenses(sel.names))
	if err != nil {
		return err
	}
	if sel.sel == nil {
		return writeDefaultUser(w, r, u) // userread.go
	}
	v := []userView{s.userView(u)}
	if err := s.loadData(r, sel.names, v); err != nil {
		return err
	}
	return sel.writeEntity(w, r, "users", v[0])
}

// createUser answers POST /users: 201 with the new user.
//
// Decision: displayName and userPrincipalName are required (the domain
// checks them); accountEnabled defaults to true when absent, and Graph's
// required passwordProfile and mailNickname are accepted and ignored.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	b, err := s.readUserBody(w, r)
	if err != nil {
		return err
	}
	u := &b.user
	if !b.enabled {
		u.AccountEnabled = true
	}
	if err := s.svc.Users.CreateUser(r.Context(), principalFrom(r), u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, userType.fixedProps(userDefaults).entityBody(r, "users", s.userView(u)))
}

// updateUser answers PATCH /users/{id} with 204 No Content, like Graph.
//
// Decision: the domain cannot rename a user, so a userPrincipalName is
// accepted only when it is the current one (clients often PATCH the whole
// object); another is 501 NotImplemented, and nothing changes. A new one
// on a domain the tenant does not have is refused first, with Graph's 400
// (allot.CheckUPNDomain).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	infoFrom(r.Context()).target = id
	b, err := s.readUserBody(w, r)
	if err != nil {
		return err
	}
	p := principalFrom(r)
	if b.upn != nil {
		u, err := s.svc.Users.FindUser(r.Context(), p, id)
		if err != nil {
			return err
		}
		if !strings.EqualFold(strings.TrimSpace(*b.upn), u.UserPrincipalName) {
			if err := allot.Authorize(p, allot.ActionManageUsers); err != nil {
				return err
			}
			if err := s.checkUPNDomain(r, *b.upn); err != nil {
				return err
			}
			return allot.Errorf(allot.ENOTIMPL, "Changing a user's userPrincipalName is not supported yet.")
		}
	}
	if _, err := s.svc.Users.UpdateUser(r.Context(), p, id, b.update); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteUser answers DELETE /users/{id} with 204: the user moves to the
// deleted items and its licenses are freed.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQueryOptions(r, 0); err != nil {
		return err
	}
	if err := s.svc.Users.DeleteUser(r.Context(), principalFrom(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
