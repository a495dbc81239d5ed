package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
)

const rolesUsage = `Usage: allot roles <list|grant|revoke> [flags] [arguments]

Roles lists the administrator roles with who holds them, and grants or
revokes them (a Global Administrator's token is needed to change them).
ROLE is a role's display name, in any case, or its id.

	list    list the roles, their ids and holders
	grant   give a user a role: allot roles grant "License Administrator" --user UPN
	revoke  take a role from a user: allot roles revoke ROLE --user UPN

Run "allot help roles grant" for the flags of one.
`

const rolesListUsage = `Usage: allot roles list [--url URL] [--token TOKEN] [--output table|json]

List prints every role with its id and the users and applications that
hold it.
`

const rolesChangeUsage = `Usage: allot roles %s ROLE --user UPN [--url URL] [--token TOKEN] [--output table|json]

%s ROLE (a display name in any case, or the role's id) %s the user UPN.
The last Global Administrator of a tenant cannot be revoked.
`

// parseRoles dispatches to "roles list", "roles grant" and "roles revoke".
func (m *Main) parseRoles(args []string) (command, error) {
	g := &cli.Group[command]{Name: "roles", Usage: rolesUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "list", Parse: m.parseRolesList},
		{Name: "grant", Parse: func(args []string) (command, error) { return m.parseRolesChange("grant", args) }},
		{Name: "revoke", Parse: func(args []string) (command, error) { return m.parseRolesChange("revoke", args) }},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// rolesListCommand is "allot roles list".
type rolesListCommand struct {
	remote *remote
	cl     *client.Client
}

func (m *Main) parseRolesList(args []string) (command, error) {
	fs := newFlagSet("roles list")
	c := &rolesListCommand{remote: m.remoteFlags(fs)}
	if err := m.parseFlags(fs, rolesListUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("roles list takes no arguments, got %q (run 'allot roles list -h' for usage)", fs.Arg(0))}
	}
	if err := c.remote.finish("roles list"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("roles list")
	return c, err
}

// roleHolders is a role with its holders, as "roles list -o json" prints it.
type roleHolders struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Holders     []holder `json:"holders"`
}

type holder struct {
	AssignmentID string `json:"assignmentId"`
	PrincipalID  string `json:"principalId"`
	Type         string `json:"type"` // "user" or "application"
	Name         string `json:"name"` // userPrincipalName or application name
}

func (c *rolesListCommand) run(ctx context.Context) error {
	defs, err := c.cl.RoleDefinitions(ctx)
	if err != nil {
		return err
	}
	as, err := c.cl.RoleAssignments(ctx, "")
	if err != nil {
		return err
	}
	roles := make([]roleHolders, len(defs))
	for i, d := range defs {
		roles[i] = roleHolders{ID: d.ID, DisplayName: d.DisplayName, Holders: []holder{}}
		for _, a := range as {
			if a.RoleDefinitionID == d.ID {
				roles[i].Holders = append(roles[i].Holders, holderOf(a))
			}
		}
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, roles)
	}
	t := newTable(c.remote.m.Stdout, "ROLE", "ID", "HOLDERS")
	for _, r := range roles {
		names := []string{}
		for _, h := range r.Holders {
			names = append(names, h.Name)
		}
		t.row(r.DisplayName, r.ID, strings.TrimSpace(fmt.Sprintf("%d %s", len(names), strings.Join(names, ", "))))
	}
	return t.flush()
}

func holderOf(a client.RoleAssignment) holder {
	h := holder{AssignmentID: a.ID, PrincipalID: a.PrincipalID, Type: allot.PrincipalUser, Name: a.PrincipalID}
	if a.Principal != nil {
		if strings.HasSuffix(a.Principal.Type, "servicePrincipal") {
			h.Type, h.Name = allot.PrincipalApp, a.Principal.DisplayName
		} else {
			h.Name = a.Principal.UserPrincipalName
		}
	}
	return h
}

// rolesChangeCommand is "allot roles grant" and "allot roles revoke".
type rolesChangeCommand struct {
	remote *remote
	cl     *client.Client
	verb   string
	role   allot.Role
	upn    string
}

func (m *Main) parseRolesChange(verb string, args []string) (command, error) {
	name := "roles " + verb
	fs := newFlagSet(name)
	c := &rolesChangeCommand{remote: m.remoteFlags(fs), verb: verb}
	fs.StringVar(&c.upn, "user", "", "the `UPN` (userPrincipalName) or id of the user (required)")
	doing, to := "Grant gives", "to"
	if verb == "revoke" {
		doing, to = "Revoke takes", "from"
	}
	if err := m.parseFlags(fs, fmt.Sprintf(rolesChangeUsage, verb, doing, to), args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("%s takes one ROLE, got %d arguments (quote a name with spaces: %q; run 'allot %s -h' for usage)", name, fs.NArg(), "License Administrator", name)}
	}
	if c.upn == "" {
		return nil, &usageError{Msg: fmt.Sprintf("%s: --user is required, e.g. --user someone@contoso.example", name)}
	}
	r, err := allot.FindRole(fs.Arg(0))
	if err != nil {
		return nil, &usageError{Msg: fmt.Sprintf("%s: no role %q; the roles are %s", name, fs.Arg(0), roleNames())}
	}
	c.role = r
	if err := c.remote.finish(name); err != nil {
		return nil, err
	}
	c.cl, err = c.remote.client(name)
	return c, err
}

func roleNames() string {
	names := make([]string, len(allot.Roles))
	for i, r := range allot.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func (c *rolesChangeCommand) run(ctx context.Context) error {
	raw, err := c.cl.User(ctx, c.upn)
	if err != nil {
		return err
	}
	var u struct {
		ID                string `json:"id"`
		UserPrincipalName string `json:"userPrincipalName"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	a := &client.RoleAssignment{ID: allot.RoleAssignmentID(c.role, u.ID), PrincipalID: u.ID, RoleDefinitionID: c.role.Definition().ID, DirectoryScopeID: "/"}
	done := "granted"
	if c.verb == "grant" {
		a, err = c.cl.GrantRole(ctx, u.ID, c.role.Definition().ID)
	} else {
		err, done = c.cl.RevokeRole(ctx, a.ID), "revoked"
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound && c.verb == "revoke" {
		return fmt.Errorf("%s does not hold the role %s", u.UserPrincipalName, c.role)
	} else if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, a)
	}
	_, err = fmt.Fprintf(c.remote.m.Stdout, "allot: %s %s %s %s\n", done, c.role, map[string]string{"granted": "to", "revoked": "from"}[done], u.UserPrincipalName)
	return err
}
