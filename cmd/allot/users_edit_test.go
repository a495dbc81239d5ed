package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestUsersLifecycle creates, changes, deletes and restores a user through
// the CLI against the real server, reading every -o json answer.
func TestUsersLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const upn = "ada@contoso.example"
	doc := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(s.mustRun(t, args...)), &m); err != nil {
			t.Fatalf("%v: stdout is not one JSON object: %v", args, err)
		}
		return m
	}
	pick := func(m map[string]any, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			out[k] = m[k]
		}
		return out
	}
	created := doc(t, "users", "create", upn, "--name", "Ada Lovelace", "--usage-location", "fr", "--job-title", "Analyst", "-o", "json")
	want := map[string]any{"userPrincipalName": upn, "displayName": "Ada Lovelace", "usageLocation": "FR", "accountEnabled": true, "jobTitle": "Analyst"}
	if got := pick(created, "userPrincipalName", "displayName", "usageLocation", "accountEnabled", "jobTitle"); !reflect.DeepEqual(got, want) {
		t.Errorf("users create -o json:\nwant %v\n got %v", want, got)
	}
	id, _ := created["id"].(string)

	updated := doc(t, "users", "update", upn, "--usage-location", "GB", "--block-sign-in", "-o", "json")
	want = map[string]any{"id": id, "displayName": "Ada Lovelace", "usageLocation": "GB", "accountEnabled": false}
	if got := pick(updated, "id", "displayName", "usageLocation", "accountEnabled"); !reflect.DeepEqual(got, want) {
		t.Errorf("users update -o json:\nwant %v\n got %v", want, got)
	}
	if out := s.mustRun(t, "users", "update", upn, "--allow-sign-in", "--name", "Ada King"); out != "updated "+upn+": name \"Ada King\", usage location GB, sign-in allowed\n" {
		t.Errorf("users update printed %q", out)
	}

	deleted := doc(t, "users", "delete", upn, "-o", "json")
	if deleted["id"] != id || deleted["userPrincipalName"] != upn || deleted["deletedDateTime"] == nil {
		t.Errorf("users delete -o json = %v, want the deleted user %s with its deletedDateTime", deleted, id)
	}
	if list := s.mustRun(t, "users", "list", "--deleted"); !slices.Contains(column(list), upn) || !strings.Contains(list, "DELETED") {
		t.Errorf("users list --deleted does not list %s:\n%s", upn, list)
	}
	restored := doc(t, "users", "restore", upn, "-o", "json")
	if restored["id"] != id || restored["userPrincipalName"] != upn {
		t.Errorf("users restore -o json = %v, want the user %s", restored, id)
	}
	if slices.Contains(column(s.mustRun(t, "users", "list", "--deleted")), upn) {
		t.Errorf("users list --deleted still lists %s after its restore", upn)
	}
}

// TestUsersEditErrors checks the refusals of users create and update: one
// line on stderr and a non-zero exit, nothing on stdout.
func TestUsersEditErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"block and allow", []string{"users", "update", "alex@contoso.example", "--block-sign-in", "--allow-sign-in"},
			result{2, "", "allot: users update: --block-sign-in and --allow-sign-in exclude each other\n"}},
		{"create without a name", []string{"users", "create", "x@contoso.example", "--usage-location", "FR"},
			result{2, "", "allot: users create needs --name, the user's display name\n"}},
		{"update without a change", []string{"users", "update", "alex@contoso.example"},
			result{2, "", "allot: users update: nothing to change; give --name, --usage-location, --block-sign-in, … (run 'allot users update -h' for usage)\n"}},
		{"UPN taken", []string{"users", "create", "alex@contoso.example", "--name", "Alex"},
			result{1, "", "allot: Another object with the same value for property userPrincipalName already exists.\n"}},
		{"bad country", []string{"users", "update", "alex@contoso.example", "--usage-location", "XX"},
			result{1, "", "allot: Invalid value specified for property 'usageLocation' of resource 'User': \"XX\" is not an ISO 3166-1 alpha-2 country code.\n"}},
		{"unknown user", []string{"users", "update", "nobody@contoso.example", "--name", "N"},
			result{1, "", "allot: Resource 'nobody@contoso.example' does not exist or one of its queried reference-property objects are not present.\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.run(t, tt.args...); got != tt.want {
				t.Errorf("allot %s:\nwant %+v\n got %+v", strings.Join(tt.args, " "), tt.want, got)
			}
		})
	}
}
