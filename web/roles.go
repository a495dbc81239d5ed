package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// registerRoleRoutes registers Roles: each role with its holders, granted
// and revoked by Global Administrators.
func (h *Handler) registerRoleRoutes() {
	h.mux.Handle("GET /roles", h.page(h.roles))
	h.mux.Handle("GET /roles/candidates", h.page(h.roleCandidates))
	h.mux.Handle("POST /roles/grant", h.page(h.grantRole))
	h.mux.Handle("POST /roles/revoke", h.page(h.revokeRole))
}

// roleKeys name the roles' message keys.
var roleKeys = map[allot.Role]string{
	allot.RoleGlobalAdmin: "role.globalAdmin", allot.RoleLicenseAdmin: "role.licenseAdmin",
	allot.RoleUserAdmin: "role.userAdmin", allot.RoleBillingAdmin: "role.billingAdmin",
	allot.RoleGlobalReader: "role.globalReader", allot.RoleLicenseChecker: "role.licenseChecker",
}

// RoleName names a role in the page's language.
func (b base) RoleName(r allot.Role) string {
	if k, ok := roleKeys[r]; ok {
		return b.T(k)
	}
	return string(r)
}

// roleGroup is one role and who holds it.
type roleGroup struct {
	Role    allot.Role
	Holders []*allot.RoleAssignment
	Error   string // why the last revocation in this role was refused
}

// rolesPage is the data of Roles.
type rolesPage struct {
	base
	Groups    []roleGroup
	CanManage bool // grants and revokes: ActionManageRoles
	Grant     struct {
		Role, User, Error string
	}
}

// roles lists each role with its holders.
func (h *Handler) roles(w http.ResponseWriter, r *http.Request) error {
	return h.showRoles(w, r, http.StatusOK, nil)
}

// showRoles renders Roles; edit, if not nil, sets the forms as posted,
// with their refusals.
func (h *Handler) showRoles(w http.ResponseWriter, r *http.Request, status int, edit func(*rolesPage)) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if h.svc.Roles == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No roles here."}
	}
	as, err := h.svc.Roles.FindRoleAssignments(r.Context(), s.p, allot.RoleAssignmentFilter{})
	if err != nil {
		return err
	}
	pg := &rolesPage{base: h.base(r, "roles.title", "roles"), CanManage: s.p.Can(allot.ActionManageRoles)}
	for _, role := range allot.Roles {
		g := roleGroup{Role: role}
		for _, a := range as {
			if a.Role == role {
				g.Holders = append(g.Holders, a)
			}
		}
		pg.Groups = append(pg.Groups, g)
	}
	if edit != nil {
		edit(pg)
	}
	h.render(w, r, status, "roles", pg)
	return nil
}

// roleManager returns the session of a visitor who may grant and revoke
// roles.
func (h *Handler) roleManager(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	if h.svc.Roles == nil {
		return nil, &allot.Error{Code: allot.ENOTFOUND, Message: "No roles here."}
	}
	return s, allot.Authorize(s.p, allot.ActionManageRoles)
}

// roleCandidates answers the grant form's picker.
func (h *Handler) roleCandidates(w http.ResponseWriter, r *http.Request) error {
	s, err := h.roleManager(r)
	if err != nil {
		return err
	}
	return h.writeCandidates(w, r, s.p)
}

// grantRole gives a role to a user (userPrincipalName or id); a refusal
// is shown beside the form, and nothing changes.
func (h *Handler) grantRole(w http.ResponseWriter, r *http.Request) error {
	s, err := h.roleManager(r)
	if err != nil {
		return err
	}
	role, user := allot.Role(r.PostFormValue("role")), strings.TrimSpace(r.PostFormValue("user"))
	if user == "" {
		err = &allot.Error{Code: allot.ENOTFOUND}
	} else {
		_, err = h.svc.Roles.CreateRoleAssignment(r.Context(), s.p, user, role)
	}
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		msg := h.roleErrorText(requestOf(r).lang, err, role, user)
		return h.showRoles(w, r, http.StatusBadRequest, func(pg *rolesPage) {
			pg.Grant.Role, pg.Grant.User, pg.Grant.Error = string(role), user, msg
		})
	}
	http.Redirect(w, r, "/roles#"+roleAnchor(role), http.StatusSeeOther)
	return nil
}

// revokeRole revokes a role assignment; a refusal (the last Global
// Administrator) is shown beside its role, and nothing changes.
func (h *Handler) revokeRole(w http.ResponseWriter, r *http.Request) error {
	s, err := h.roleManager(r)
	if err != nil {
		return err
	}
	role := allot.Role(r.PostFormValue("role"))
	if err := h.svc.Roles.DeleteRoleAssignment(r.Context(), s.p, r.PostFormValue("id")); err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		msg := h.roleErrorText(requestOf(r).lang, err, role, "")
		return h.showRoles(w, r, http.StatusBadRequest, func(pg *rolesPage) {
			for i := range pg.Groups {
				if pg.Groups[i].Role == role {
					pg.Groups[i].Error = msg
				}
			}
		})
	}
	http.Redirect(w, r, "/roles#"+roleAnchor(role), http.StatusSeeOther)
	return nil
}

// roleErrorText says in lang why a grant or a revocation was refused.
func (h *Handler) roleErrorText(lang string, err error, role allot.Role, user string) string {
	b := base{Lang: lang, loc: h.locales}
	var e *allot.Error
	errors.As(err, &e)
	switch allot.ErrorCode(err) {
	case allot.ENOTFOUND:
		if user == "" {
			return b.T("roles.pickUser")
		}
		return b.T("roles.noUser", user)
	case allot.ECONFLICT:
		return b.T("roles.already", user, b.RoleName(role))
	case allot.EINVALID:
		if e != nil && e.Field == "role" {
			return b.T("roles.badRole")
		}
		return b.T("roles.lastGlobal")
	}
	return h.errorText(lang, err, nil)
}

// roleAnchor is the id of a role's section.
func roleAnchor(r allot.Role) string {
	return "role-" + strings.ToLower(strings.ReplaceAll(string(r), " ", "-"))
}

// Anchor is the id of the role's section.
func (g roleGroup) Anchor() string { return roleAnchor(g.Role) }
