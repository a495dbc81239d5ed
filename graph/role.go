package graph

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// roleDefinitionType renders microsoft.graph.unifiedRoleDefinition. The id
// is the role template id, as Graph's built-in roles have it.
//
// Decision: rolePermissions lists allot's actions of the role (role.go's
// table) as "allot/<action>", not Microsoft's resource actions.
var roleDefinitionType = &entityType[allot.RoleDefinition]{
	name: "microsoft.graph.unifiedRoleDefinition",
	props: map[string]func(allot.RoleDefinition) any{
		"id":              func(d allot.RoleDefinition) any { return d.ID },
		"templateId":      func(d allot.RoleDefinition) any { return d.ID },
		"displayName":     func(d allot.RoleDefinition) any { return string(d.Role) },
		"description":     func(d allot.RoleDefinition) any { return d.Description },
		"isBuiltIn":       func(allot.RoleDefinition) any { return true },
		"isEnabled":       func(allot.RoleDefinition) any { return true },
		"resourceScopes":  func(allot.RoleDefinition) any { return []string{"/"} },
		"version":         func(allot.RoleDefinition) any { return "1" },
		"rolePermissions": func(d allot.RoleDefinition) any { return rolePermissions(d.Role) },
	},
	defaults: []string{"id", "description", "displayName", "isBuiltIn", "isEnabled", "resourceScopes", "templateId", "version", "rolePermissions"},
}

func rolePermissions(r allot.Role) []map[string]any {
	actions := []string{}
	for _, a := range r.Actions() {
		actions = append(actions, "allot/"+strings.ReplaceAll(string(a), " ", "-"))
	}
	return []map[string]any{{"allowedResourceActions": actions, "condition": nil}}
}

// roleAssignmentType renders microsoft.graph.unifiedRoleAssignment, always
// at the directory scope. With $expand=principal, principal is the user
// (id, userPrincipalName, displayName) or the application, a
// servicePrincipal (id, displayName).
var roleAssignmentType = &entityType[*allot.RoleAssignment]{
	name: "microsoft.graph.unifiedRoleAssignment",
	props: map[string]func(*allot.RoleAssignment) any{
		"id":               func(a *allot.RoleAssignment) any { return a.ID },
		"principalId":      func(a *allot.RoleAssignment) any { return a.PrincipalID },
		"roleDefinitionId": func(a *allot.RoleAssignment) any { return a.Role.Definition().ID },
		"directoryScopeId": func(*allot.RoleAssignment) any { return "/" },
		"appScopeId":       func(*allot.RoleAssignment) any { return nil },
		"condition":        func(*allot.RoleAssignment) any { return nil },
	},
	defaults: []string{"id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId", "condition"},
}

func principalObject(a *allot.RoleAssignment) map[string]any {
	if a.PrincipalType == allot.PrincipalApp {
		return map[string]any{"@odata.type": "#microsoft.graph.servicePrincipal", "id": a.PrincipalID, "displayName": a.PrincipalName}
	}
	return map[string]any{"@odata.type": "#microsoft.graph.user", "id": a.PrincipalID, "userPrincipalName": a.PrincipalName}
}

const (
	roleDefinitionsPath = "roleManagement/directory/roleDefinitions"
	roleAssignmentsPath = "roleManagement/directory/roleAssignments"
)

func (s *Server) registerRoleRoutes() {
	s.route("GET /v1.0/"+roleDefinitionsPath, s.listRoleDefinitions)
	s.route("GET /v1.0/"+roleDefinitionsPath+"/{id}", s.getRoleDefinition)
	s.route("GET /v1.0/"+roleAssignmentsPath, s.listRoleAssignments)
	s.route("POST /v1.0/"+roleAssignmentsPath, s.createRoleAssignment)
	s.route("GET /v1.0/"+roleAssignmentsPath+"/{id}", s.getRoleAssignment)
	s.route("DELETE /v1.0/"+roleAssignmentsPath+"/{id}", s.deleteRoleAssignment)
}

// Role definitions are fixed, but reading them is reading the tenant's
// configuration: readers only, decided before anything else.
func (s *Server) listRoleDefinitions(w http.ResponseWriter, r *http.Request) error {
	if err := allot.Authorize(principalFrom(r), allot.ActionRead); err != nil {
		return err
	}
	sel, err := parseSelect(r, roleDefinitionType)
	if err != nil {
		return err
	}
	return sel.writeCollection(w, r, roleDefinitionsPath, allot.RoleDefinitions)
}

func (s *Server) getRoleDefinition(w http.ResponseWriter, r *http.Request) error {
	if err := allot.Authorize(principalFrom(r), allot.ActionRead); err != nil {
		return err
	}
	sel, err := parseSelect(r, roleDefinitionType)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	for _, d := range allot.RoleDefinitions {
		if strings.EqualFold(d.ID, id) {
			return sel.writeEntity(w, r, roleDefinitionsPath, d)
		}
	}
	return allot.RoleAssignmentNotFound(id) // Graph's words for any missing object
}

// assignmentQuery is a request's $select, $filter and $expand on role
// assignments.
type assignmentQuery struct {
	sel    selection[*allot.RoleAssignment]
	filter allot.RoleAssignmentFilter
	expand bool
}

func parseAssignmentQuery(r *http.Request, opts optionSet) (*assignmentQuery, error) {
	q, err := parseQueryOptions(r, opts|optSelect|optExpand)
	if err != nil {
		return nil, err
	}
	out := &assignmentQuery{}
	switch strings.ToLower(strings.TrimSpace(q.expand)) {
	case "":
	case "principal":
		out.expand = true
	default:
		return nil, unsupportedQuery(fmt.Sprintf("Expanding '%s' is not supported on roleAssignments; only principal is.", truncate(q.expand, 40)))
	}
	if q.hasFilter {
		if out.filter, err = parseAssignmentFilter(q.filter); err != nil {
			return nil, err
		}
	}
	out.sel, err = roleAssignmentType.selectProps(q.sel)
	return out, err
}

func (q *assignmentQuery) render(a *allot.RoleAssignment) map[string]any {
	m := q.sel.render(a)
	if q.expand {
		m["principal"] = principalObject(a)
	}
	return m
}

func (s *Server) listRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	q, err := parseAssignmentQuery(r, optFilter)
	if err != nil {
		return err
	}
	as, err := s.svc.Roles.FindRoleAssignments(r.Context(), principalFrom(r), q.filter)
	if err != nil {
		return err
	}
	value := make([]map[string]any, 0, len(as))
	for _, a := range as {
		value = append(value, q.render(a))
	}
	return writeJSON(w, http.StatusOK, collection(q.sel.contextURL(r, roleAssignmentsPath), value))
}

func (s *Server) getRoleAssignment(w http.ResponseWriter, r *http.Request) error {
	q, err := parseAssignmentQuery(r, 0)
	if err != nil {
		return err
	}
	a, err := s.findRoleAssignment(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	m := q.render(a)
	m["@odata.context"] = q.sel.contextURL(r, roleAssignmentsPath) + "/$entity"
	return writeJSON(w, http.StatusOK, m)
}

// findRoleAssignment returns the assignment with the id, ENOTFOUND when
// its principal does not hold the role (or no longer exists).
func (s *Server) findRoleAssignment(r *http.Request, id string) (*allot.RoleAssignment, error) {
	if err := allot.Authorize(principalFrom(r), allot.ActionRead); err != nil {
		return nil, err
	}
	role, principal, err := allot.ParseRoleAssignmentID(id)
	if err != nil {
		return nil, err
	}
	as, err := s.svc.Roles.FindRoleAssignments(r.Context(), principalFrom(r), allot.RoleAssignmentFilter{PrincipalID: principal, Role: role})
	if err != nil {
		return nil, err
	} else if len(as) == 0 {
		return nil, allot.RoleAssignmentNotFound(id)
	}
	return as[0], nil
}

// createRoleAssignment grants a role: 201 with the assignment. A
// duplicate is 400 Request_BadRequest "A conflicting object…", as Graph
// answers it.
func (s *Server) createRoleAssignment(w http.ResponseWriter, r *http.Request) error {
	if err := allot.Authorize(principalFrom(r), allot.ActionManageRoles); err != nil {
		return err
	}
	principal, role, err := s.readAssignmentBody(w, r)
	if err != nil {
		return err
	}
	a, err := s.svc.Roles.CreateRoleAssignment(r.Context(), principalFrom(r), principal, role)
	if err != nil {
		return err
	}
	m := roleAssignmentType.fixedProps(roleAssignmentType.defaults).render(a)
	m["@odata.context"] = contextURL(r, roleAssignmentsPath) + "/$entity"
	w.Header().Set("Location", baseURL(r)+"/v1.0/"+roleAssignmentsPath+"/"+a.ID)
	return writeJSON(w, http.StatusCreated, m)
}

// readAssignmentBody decodes {principalId, roleDefinitionId,
// directoryScopeId}: principalId a GUID, roleDefinitionId a role template
// id, directoryScopeId "/" when present (allot has no other scope).
func (s *Server) readAssignmentBody(w http.ResponseWriter, r *http.Request) (string, allot.Role, error) {
	body, err := s.readWriteBody(w, r)
	if err != nil {
		return "", "", err
	}
	obj, err := parseObject(body)
	if err != nil {
		return "", "", err
	}
	m, unknown, err := obj.members([]string{"principalId", "roleDefinitionId", "directoryScopeId"})
	if err != nil {
		return "", "", err
	} else if len(unknown) > 0 {
		return "", "", badRequest(fmt.Sprintf("Property '%s' does not exist on type 'microsoft.graph.unifiedRoleAssignment'.", truncate(unknown[0], 40)))
	}
	for _, name := range []string{"principalId", "roleDefinitionId"} {
		if _, ok := m[name]; !ok {
			return "", "", badRequest(fmt.Sprintf("The property '%s' is required to create a role assignment.", name))
		}
	}
	principal, err := decodeGUID("principalId", m["principalId"])
	if err != nil {
		return "", "", err
	}
	roleID, err := decodeGUID("roleDefinitionId", m["roleDefinitionId"])
	if err != nil {
		return "", "", err
	}
	if raw, ok := m["directoryScopeId"]; ok {
		if scope, err := decodeString("directoryScopeId", raw); err != nil {
			return "", "", err
		} else if scope != "/" {
			return "", "", badRequest("Only the directory scope '/' is supported: directoryScopeId must be \"/\".")
		}
	}
	role, err := allot.FindRole(roleID)
	if err != nil {
		return "", "", &allot.Error{Code: allot.EINVALID, Field: "roleDefinitionId", Value: roleID, Message: fmt.Sprintf("The role definition '%s' does not exist.", roleID)}
	}
	return principal, role, nil
}

func (s *Server) deleteRoleAssignment(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Roles.DeleteRoleAssignment(r.Context(), principalFrom(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseAssignmentFilter parses a $filter on role assignments with graph's
// filter parser: "principalId eq '<guid>'" and "roleDefinitionId eq
// '<guid>'", each at most once, joined by "and".
func parseAssignmentFilter(s string) (allot.RoleAssignmentFilter, error) {
	var f allot.RoleAssignmentFilter
	p := &filterParser{entity: "roleAssignments"}
	p.clause = func(t token) error {
		switch {
		case isWord(t, "principalId"):
			if err := p.operator(t.text); err != nil {
				return err
			}
			id, err := p.guid("principalId")
			f.PrincipalID = id
			return firstErr(err, p.once("principalId"))
		case isWord(t, "roleDefinitionId"):
			if err := p.operator(t.text); err != nil {
				return err
			}
			id, err := p.guid("roleDefinitionId")
			if err != nil {
				return err
			}
			if f.Role, err = allot.FindRole(id); err != nil {
				f.Role = "none" // an unknown role matches no assignment
			}
			return p.once("roleDefinitionId")
		}
		return unsupportedQuery(fmt.Sprintf("Filtering roleAssignments on '%s' is not supported; supported: principalId eq, roleDefinitionId eq.", truncate(t.text, 40)))
	}
	return f, p.parse(s)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
