package client

import (
	"context"
	"net/http"
	"net/url"
)

// RoleDefinition is the part of Graph's unifiedRoleDefinition the CLI
// reads.
type RoleDefinition struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
}

// RoleAssignment is Graph's unifiedRoleAssignment, with its principal
// when listed by RoleAssignments.
type RoleAssignment struct {
	ID               string `json:"id"`
	PrincipalID      string `json:"principalId"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	DirectoryScopeID string `json:"directoryScopeId"`
	Principal        *struct {
		Type              string `json:"@odata.type"`
		UserPrincipalName string `json:"userPrincipalName,omitempty"`
		DisplayName       string `json:"displayName,omitempty"`
	} `json:"principal,omitempty"`
}

// The paths of roles.
const (
	RoleDefinitionsPath = "/v1.0/roleManagement/directory/roleDefinitions"
	RoleAssignmentsPath = "/v1.0/roleManagement/directory/roleAssignments"
)

// RoleDefinitions lists the roles of the tenant.
func (c *Client) RoleDefinitions(ctx context.Context) ([]RoleDefinition, error) {
	raws, err := c.List(ctx, c.URL(RoleDefinitionsPath, nil), nil, 0)
	if err != nil {
		return nil, err
	}
	return DecodeAll[RoleDefinition](raws)
}

// RoleAssignments lists the tenant's role assignments with their
// principals; principalID, when not empty, keeps that principal's only.
func (c *Client) RoleAssignments(ctx context.Context, principalID string) ([]RoleAssignment, error) {
	q := Query{"$expand": "principal"}
	if principalID != "" {
		q["$filter"] = "principalId eq '" + principalID + "'"
	}
	raws, err := c.List(ctx, c.URL(RoleAssignmentsPath, q), nil, 0)
	if err != nil {
		return nil, err
	}
	return DecodeAll[RoleAssignment](raws)
}

// GrantRole gives the principal (a user's or application's id) the role
// with the definition id and returns the new assignment.
func (c *Client) GrantRole(ctx context.Context, principalID, roleDefinitionID string) (*RoleAssignment, error) {
	body := map[string]string{"principalId": principalID, "roleDefinitionId": roleDefinitionID, "directoryScopeId": "/"}
	var a RoleAssignment
	return &a, c.Post(ctx, c.URL(RoleAssignmentsPath, nil), body, &a)
}

// RevokeRole deletes the role assignment with the id.
func (c *Client) RevokeRole(ctx context.Context, assignmentID string) error {
	return c.Do(ctx, http.MethodDelete, c.URL(RoleAssignmentsPath+"/"+url.PathEscape(assignmentID), nil), nil, nil, nil)
}
