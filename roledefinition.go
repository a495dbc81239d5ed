package allot

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// RoleDefinition describes a built-in role as Graph's unifiedRoleDefinition
// does. Its ID is Microsoft's role template id, which Graph also uses as the
// role definition's id; License Checker, allot's own role, has a fixed id of
// allot's own (LicenseCheckerTemplateID).
type RoleDefinition struct {
	ID          string
	Role        Role
	Description string
}

// LicenseCheckerTemplateID is the fixed id of allot's License Checker role,
// which Microsoft does not define.
const LicenseCheckerTemplateID = "73bcb3b3-7b56-450e-89aa-fec0a0dd356a"

// RoleDefinitions lists the definition of every role, in the order of Roles.
var RoleDefinitions = []RoleDefinition{
	{"62e90394-69f5-4237-9190-012177145e10", RoleGlobalAdmin, "Can manage all aspects of the tenant and its licenses, and grant roles."},
	{"4d6ac14f-3453-41d0-bef9-a3e0c569773a", RoleLicenseAdmin, "Can assign and unassign licenses and change a user's usage location."},
	{"fe930be7-5e62-47db-91af-98c3a49a38b1", RoleUserAdmin, "Can create, change, delete and restore users, and assign their licenses."},
	{"b0f54661-2d74-4c50-afa3-1ec803f12efe", RoleBillingAdmin, "Can manage subscriptions."},
	{"f2ef992c-3afb-46b9-b7cf-a126ee74c451", RoleGlobalReader, "Can read everything a Global Administrator can, but not change it."},
	{LicenseCheckerTemplateID, RoleLicenseChecker, "allot's role for applications: can only ask license checks (/api/check)."},
}

// Definition returns the role's definition; the zero RoleDefinition for an
// unknown role.
func (r Role) Definition() RoleDefinition {
	for _, d := range RoleDefinitions {
		if d.Role == r {
			return d
		}
	}
	return RoleDefinition{}
}

// FindRole returns the role named by its template id or its display name,
// either compared case-insensitively. Returns ENOTFOUND, naming the value
// in Field "roleDefinitionId".
func FindRole(idOrName string) (Role, error) {
	key := strings.TrimSpace(idOrName)
	for _, d := range RoleDefinitions {
		if strings.EqualFold(key, d.ID) || strings.EqualFold(key, string(d.Role)) {
			return d.Role, nil
		}
	}
	return "", &Error{Code: ENOTFOUND, Field: "roleDefinitionId", Value: idOrName,
		Message: fmt.Sprintf("Role definition '%s' does not exist: use a role's id or display name.", idOrName)}
}

// RoleAssignmentID returns the id of the assignment of role r to the
// principal (a user or an application) with GUID principalID. It is Graph's
// form for the directory scope: the role template id and the principal id,
// each in Microsoft's byte order (the first three fields little-endian),
// base64url-encoded without padding, followed by "-1". The same role and
// principal always give the same id.
func RoleAssignmentID(r Role, principalID string) string {
	role, _ := ParseGUID(r.Definition().ID)
	principal, _ := ParseGUID(principalID)
	var b [32]byte
	msBytes(b[:16], role)
	msBytes(b[16:], principal)
	return base64.RawURLEncoding.EncodeToString(b[:]) + "-1"
}

// ParseRoleAssignmentID returns the role and principal id of a role
// assignment id made by RoleAssignmentID. Returns ENOTFOUND for any other
// string, as Graph answers an unknown id.
func ParseRoleAssignmentID(id string) (Role, string, error) {
	notFound := RoleAssignmentNotFound(id)
	enc, ok := strings.CutSuffix(id, "-1")
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || len(b) != 32 {
		return "", "", notFound
	}
	var role, principal GUID
	msBytes(role[:], GUID(b[:16]))
	msBytes(principal[:], GUID(b[16:]))
	for _, d := range RoleDefinitions {
		if d.ID == role.String() {
			return d.Role, principal.String(), nil
		}
	}
	return "", "", notFound
}

// RoleAssignmentNotFound is the ENOTFOUND of a role assignment id, in
// Graph's words for a missing object.
func RoleAssignmentNotFound(id string) error {
	return &Error{Code: ENOTFOUND, Value: id,
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

// msBytes writes g into dst in Microsoft's GUID byte order, which swaps
// the first three fields; the swap is its own inverse.
func msBytes(dst []byte, g GUID) {
	copy(dst, g[:])
	dst[0], dst[1], dst[2], dst[3] = g[3], g[2], g[1], g[0]
	dst[4], dst[5] = g[5], g[4]
	dst[6], dst[7] = g[7], g[6]
}
