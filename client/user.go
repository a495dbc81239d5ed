package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// UserFields are the properties of a user that CreateUser and UpdateUser
// send (Graph's user); nil fields are left out, so an update changes only
// what is set.
type UserFields struct {
	UserPrincipalName *string `json:"userPrincipalName,omitempty"`
	DisplayName       *string `json:"displayName,omitempty"`
	GivenName         *string `json:"givenName,omitempty"`
	Surname           *string `json:"surname,omitempty"`
	JobTitle          *string `json:"jobTitle,omitempty"`
	UsageLocation     *string `json:"usageLocation,omitempty"`
	AccountEnabled    *bool   `json:"accountEnabled,omitempty"`
}

// userSelect is the $select of the user objects the calls below return.
const userSelect = "id,displayName,userPrincipalName,givenName,surname,jobTitle,usageLocation,accountEnabled,createdDateTime,assignedLicenses"

// userURL is the URL of one user, by id or userPrincipalName.
func (c *Client) userURL(idOrUPN string, q Query) string {
	return c.URL("/v1.0/users/"+url.PathEscape(idOrUPN), q)
}

// CreateUser creates a user (POST /v1.0/users) and returns it with the
// properties User returns (Graph's answer to the POST has only the
// default ones).
func (c *Client) CreateUser(ctx context.Context, f UserFields) (json.RawMessage, error) {
	var u struct {
		ID string `json:"id"`
	}
	if err := c.Post(ctx, c.URL("/v1.0/users", nil), f, &u); err != nil {
		return nil, err
	}
	return c.User(ctx, u.ID)
}

// UpdateUser changes the set fields of a user (PATCH /v1.0/users/{id}) and
// returns the user as it is afterwards.
func (c *Client) UpdateUser(ctx context.Context, idOrUPN string, f UserFields) (json.RawMessage, error) {
	if err := c.Do(ctx, http.MethodPatch, c.userURL(idOrUPN, nil), nil, f, nil); err != nil {
		return nil, err
	}
	return c.User(ctx, idOrUPN)
}

// User returns one active user with the properties the CLI shows.
func (c *Client) User(ctx context.Context, idOrUPN string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.Get(ctx, c.userURL(idOrUPN, Query{"$select": userSelect}), nil, &raw)
	return raw, err
}

// DeleteUser deletes a user (DELETE /v1.0/users/{id}) and returns it as
// the deleted items list it (GET /v1.0/directory/deletedItems/{id}), with
// its deletedDateTime.
func (c *Client) DeleteUser(ctx context.Context, idOrUPN string) (json.RawMessage, error) {
	var u struct {
		ID string `json:"id"`
	}
	if err := c.Get(ctx, c.userURL(idOrUPN, Query{"$select": "id"}), nil, &u); err != nil {
		return nil, err
	}
	if err := c.Do(ctx, http.MethodDelete, c.userURL(u.ID, nil), nil, nil, nil); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	err := c.Get(ctx, c.URL("/v1.0/directory/deletedItems/"+url.PathEscape(u.ID), nil), nil, &raw)
	return raw, err
}
