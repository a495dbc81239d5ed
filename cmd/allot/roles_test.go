package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

func TestRoles(t *testing.T) {
	s := startServer(t)
	list := s.mustRun(t, "roles", "list")
	if !regexp.MustCompile(`(?m)^Global Administrator +62e90394-69f5-4237-9190-012177145e10 +1 `+regexp.QuoteMeta(demo.AdminUPN)+`$`).MatchString(list) ||
		!strings.Contains(list, "License Checker") {
		t.Fatalf("roles list:\n%s", list)
	}
	user := "emily@" + demo.Domain // a Billing Administrator
	want := result{0, "allot: granted License Administrator to " + user + "\n", ""}
	if got := s.run(t, "roles", "grant", "license administrator", "--user", user); got != want {
		t.Fatalf("grant:\nwant %+v\ngot  %+v", want, got)
	}
	var roles []roleHolders
	must(t, json.Unmarshal([]byte(s.mustRun(t, "roles", "list", "-o", "json")), &roles))
	if len(roles) != len(allot.Roles) || roles[1].DisplayName != "License Administrator" || !hasHolder(roles[1], user) {
		t.Errorf("roles list -o json: %+v", roles)
	}

	refusals := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a duplicate", []string{"roles", "grant", "4d6ac14f-3453-41d0-bef9-a3e0c569773a", "--user", user}, 1, "conflicting object"},
		{"the last Global Administrator", []string{"roles", "revoke", "Global Administrator", "--user", demo.AdminUPN}, 1, "last Global Administrator"},
		{"an unknown user", []string{"roles", "grant", "Global Reader", "--user", "nobody@" + demo.Domain}, 1, "nobody@"},
		{"an unknown role", []string{"roles", "grant", "Owner", "--user", user}, 2, `no role "Owner"`},
		{"no user", []string{"roles", "revoke", "Global Reader"}, 2, "--user is required"},
		{"no role", []string{"roles", "grant", "--user", user}, 2, "takes one ROLE"},
		{"an unknown subcommand", []string{"roles", "add"}, 2, "unknown subcommand"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			got := s.run(t, tt.args...)
			if got.code != tt.code || got.stdout != "" || strings.Count(got.stderr, "\n") != 1 || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("want exit %d and one line with %q, got %+v", tt.code, tt.want, got)
			}
		})
	}

	var a struct{ ID, PrincipalID, RoleDefinitionID string }
	must(t, json.Unmarshal([]byte(s.mustRun(t, "roles", "revoke", "License Administrator", "--user", user, "-o", "json")), &a))
	if a.RoleDefinitionID != "4d6ac14f-3453-41d0-bef9-a3e0c569773a" || a.ID != allot.RoleAssignmentID(allot.RoleLicenseAdmin, a.PrincipalID) {
		t.Errorf("revoke -o json: %+v", a)
	}
	got := s.run(t, "roles", "revoke", "License Administrator", "--user", user)
	if want := (result{1, "", "allot: " + user + " does not hold the role License Administrator\n"}); got != want {
		t.Errorf("revoking again:\nwant %+v\ngot  %+v", want, got)
	}
}

func hasHolder(r roleHolders, name string) bool {
	for _, h := range r.Holders {
		if h.Name == name && h.Type == allot.PrincipalUser {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAppToken(t *testing.T) {
	ctx := context.Background()
	path := demoDB(t)
	r := runAllot(t, "token", "create", "--db", path, "--app", "Billing portal", "--role", "license checker", "--expires", "24h")
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("token create --app: want exit 0 and one line on stdout only, got %+v", r)
	}
	secret := strings.TrimSpace(r.stdout)
	db := openDB(t, path)
	p, err := db.Authenticate(ctx, secret)
	if err != nil || p.AppID == "" || p.UserID != "" || p.Name != "Billing portal" || !p.HasRole(allot.RoleLicenseChecker) || len(p.Roles) != 1 {
		t.Fatalf("the application's principal: %+v %v", p, err)
	}

	list := runAllot(t, "token", "list", "--db", path, "--tenant", demo.Domain)
	if list.code != 0 || !regexp.MustCompile(`(?m)^\S+ +`+demo.Domain+` +Billing portal +application +\S+ +\S+ +-$`).MatchString(list.stdout) {
		t.Fatalf("token list:\n%+v", list)
	}
	var tokens []listedToken
	must(t, json.Unmarshal([]byte(runAllot(t, "token", "list", "--db", path, "-o", "json").stdout), &tokens))
	var id string
	for _, tok := range tokens {
		if tok.OwnerType == allot.PrincipalApp {
			id = tok.ID
		}
		if tok.Secret != "" || strings.Contains(list.stdout, secret) {
			t.Errorf("a secret is listed")
		}
	}
	if want := (result{0, "allot: token revoked\n", ""}); runAllot(t, "token", "revoke", "--db", path, id) != want {
		t.Errorf("token revoke %s", id)
	}
	if _, err := db.Authenticate(ctx, secret); allot.ErrorCode(err) != allot.EUNAUTHORIZED {
		t.Errorf("after revoke: %v", err)
	}
	list = runAllot(t, "token", "list", "--db", path)
	if !regexp.MustCompile(`(?m)^` + id + ` .* application .* \d{4}-\d\d-\d\dT\S+$`).MatchString(list.stdout) {
		t.Errorf("the revoked token's line:\n%s", list.stdout)
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no role", []string{"--app", "x"}, 2, "at least one --role"},
		{"an unknown role", []string{"--app", "x", "--role", "Owner"}, 2, `no role "Owner"`},
		{"user and app", []string{"--app", "x", "--user", demo.AdminUPN, "--role", "License Checker"}, 2, "not both"},
		{"a role for a user", []string{"--user", demo.AdminUPN, "--role", "License Checker"}, 2, "go with --app"},
		{"an unknown tenant", []string{"--app", "x", "--role", "License Checker", "--tenant", "nowhere.example"}, 1, "no tenant has the domain nowhere.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := runAllot(t, append([]string{"token", "create", "--db", path}, tt.args...)...)
			if got.code != tt.code || got.stdout != "" || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("want exit %d with %q, got %+v", tt.code, tt.want, got)
			}
		})
	}
}
