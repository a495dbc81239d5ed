package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestUsersSetPassword sets passwords through the CLI on a demo database
// and signs in with them; every refusal is one line and changes nothing.
func TestUsersSetPassword(t *testing.T) {
	t.Parallel()
	path := demoDB(t)
	const upn = "adele@contoso.example"
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  result
	}{
		{"from stdin", "first password\n", []string{upn}, result{0, upn + ": password set\n", ""}},
		{"CRLF ending, upper-case UPN", "Second password\r\n", []string{"ADELE@contoso.example"}, result{0, "ADELE@contoso.example: password set\n", ""}},
		{"too short", "short\n", []string{upn}, result{1, "", "allot: A password needs at least 8 characters; this one has 5.\n"}},
		{"two lines", "third password\nmore\n", []string{upn}, result{1, "", "allot: A password cannot contain control characters such as a tab or a line break.\n"}},
		{"empty stdin", "", []string{upn}, result{1, "", "allot: no password given: standard input is empty\n"}},
		{"unknown user", "third password\n", []string{"nobody@contoso.example"}, result{1, "", "allot: tenant Contoso has no user nobody@contoso.example\n"}},
		{"unknown domain", "third password\n", []string{"adele@fabrikam.example"}, result{1, "", "allot: no tenant has the domain fabrikam.example of user adele@fabrikam.example\n"}},
		{"not a UPN", "third password\n", []string{"adele"}, result{2, "", "allot: users set-password: \"adele\" is not a userPrincipalName of the form name@domain\n"}},
		{"no UPN", "third password\n", nil, result{2, "", "allot: users set-password takes one UPN after the flags, got 0 arguments (run 'allot users set-password -h' for usage)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"users", "set-password", "--db", path}, tt.args...)
			if got := runEnv(t, nil, tt.stdin, args...); got != tt.want {
				t.Errorf("allot %v (-want +got):\n-%+v\n+%+v", args, tt.want, got)
			}
		})
	}
	db := openDB(t, path)
	for pw, want := range map[string]string{"Second password": "", "first password": allot.EUNAUTHORIZED, "third password": allot.EUNAUTHORIZED} {
		if _, _, err := db.SignIn(context.Background(), upn, pw, time.Minute); allot.ErrorCode(err) != want {
			t.Errorf("sign-in with %q: %v, want code %q", pw, err, want)
		}
	}
}

func TestUsersSetPasswordNoDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.db")
	got := runEnv(t, nil, "a good password\n", "users", "set-password", "--db", path, "adele@contoso.example")
	want := result{1, "", "allot: database " + path + " does not exist (run 'allot serve --db " + path + "' to create it)\n"}
	if got != want {
		t.Errorf("(-want +got):\n-%+v\n+%+v", want, got)
	}
}

// TestServeDemoPassword: serve --demo prints a new password of the demo
// administrator, with which the administrator signs in.
func TestServeDemoPassword(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	s := startServer(t, "--db", path)
	if !regexp.MustCompile(`^[a-z2-9]{4}(-[a-z2-9]{4}){3}$`).MatchString(s.password) {
		t.Fatalf("serve --demo printed the password %q, want four groups of four characters", s.password)
	}
	secret, _, err := openDB(t, path).SignIn(context.Background(), demo.AdminUPN, s.password, time.Minute)
	if err != nil {
		t.Fatalf("sign-in with the printed password: %v", err)
	}
	if out := runEnv(t, map[string]string{envURL: s.url, envToken: secret}, "", "users", "show", demo.AdminUPN); out.code != 0 {
		t.Errorf("the session's token is refused by the API: %+v", out)
	}
}
