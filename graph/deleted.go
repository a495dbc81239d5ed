package graph

import (
	"bytes"
	"net/http"

	"github.com/allot-project/allot"
)

// registerDeletedRoutes registers the deleted users: Graph's
// directory/deletedItems cast to user (the SDK writes the cast
// "graph.user", PowerShell "microsoft.graph.user").
func (s *Server) registerDeletedRoutes() {
	s.route("GET /v1.0/directory/deletedItems/microsoft.graph.user", s.listDeletedUsers)
	s.route("GET /v1.0/directory/deletedItems/graph.user", s.listDeletedUsers)
	s.route("GET /v1.0/directory/deletedItems/{id}", s.getDeletedUser)
	s.route("POST /v1.0/directory/deletedItems/{id}/restore", s.restoreUser)
	s.route("POST /v1.0/directory/deletedItems/{id}/microsoft.graph.restore", s.restoreUser)
}

// userODataType marks a user where the declared type is directoryObject, so
// that SDKs materialise a user.
const userODataType = "#microsoft.graph.user"

func (s *Server) listDeletedUsers(w http.ResponseWriter, r *http.Request) error {
	return s.writeUserPage(w, r, true)
}

// getDeletedUser answers one deleted user (the only kind of deleted item
// allot keeps).
func (s *Server) getDeletedUser(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, deletedUserType)
	if err != nil {
		return err
	}
	u, err := s.findDeletedUser(r, r.PathValue("id"), needsLicenses(sel.names))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directoryObject(r, sel.render(s.userView(u))))
}

// directoryObject marks a rendered user as the directoryObject that
// directory/deletedItems declares; its @odata.context names the entity set
// directoryObjects, without a $select fragment.
func directoryObject(r *http.Request, m map[string]any) map[string]any {
	m["@odata.type"] = userODataType
	m["@odata.context"] = contextURL(r, "directoryObjects/$entity")
	return m
}

// findDeletedUser finds a deleted user by object id. The domain has no
// such method, so it lists deleted users with that id.
func (s *Server) findDeletedUser(r *http.Request, id string, licenses bool) (*allot.User, error) {
	notFound := allot.Errorf(allot.ENOTFOUND, "Resource '%s' does not exist or one of its queried reference-property objects are not present.", truncate(id, 100))
	if !allot.IsGUID(id) {
		return nil, notFound
	}
	users, _, err := s.svc.Users.FindUsers(r.Context(), principalFrom(r), allot.UserFilter{ID: id, Deleted: true, Limit: 1, WithLicenses: licenses})
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, notFound
	}
	return users[0], nil
}

// restoreUser answers POST /directory/deletedItems/{id}/restore: 200 with
// the user and "@odata.type", its licenses back.
//
// The body is optional. When present it must be a JSON object; its
// autoReconcileProxyConflict is type-checked and ignored (allot has no
// proxy addresses), and a newUserPrincipalName is 501 NotImplemented since
// the domain cannot rename on restore.
func (s *Server) restoreUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	infoFrom(r.Context()).target = id
	raw, err := s.readWriteBody(w, r)
	if err != nil {
		return err
	}
	if err := decodeRestoreBody(raw); err != nil {
		return err
	}
	u, err := s.svc.Users.RestoreUser(r.Context(), principalFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directoryObject(r, userType.fixedProps(userDefaults).render(s.userView(u))))
}

func decodeRestoreBody(raw []byte) error {
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	obj, err := parseObject(raw)
	if err != nil {
		return err
	}
	m, _, err := obj.members([]string{"autoReconcileProxyConflict", "newUserPrincipalName"})
	if err != nil {
		return err
	}
	if v, ok := m["autoReconcileProxyConflict"]; ok && !isNull(v) {
		if _, err := decodeBool("autoReconcileProxyConflict", v); err != nil {
			return err
		}
	}
	if v, ok := m["newUserPrincipalName"]; ok {
		upn, err := decodeString("newUserPrincipalName", v)
		if err != nil {
			return err
		}
		if upn != "" {
			return allot.Errorf(allot.ENOTIMPL, "Restoring a user under a new userPrincipalName is not supported yet.")
		}
	}
	return nil
}
