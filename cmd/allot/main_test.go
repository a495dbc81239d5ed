package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// result is what a user of the command line sees.
type result struct {
	code           int
	stdout, stderr string
}

// runAllot runs one command line the way main does, with an empty
// environment.
func runAllot(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, nil, "", args...)
}

// runEnv runs one command line the way main does, with the environment env
// and stdin as standard input.
func runEnv(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(k string) string { return env[k] }
	m.Stdin = strings.NewReader(stdin)
	code := m.Execute(context.Background(), args)
	return result{code, stdout.String(), stderr.String()}
}

// prepare runs "allot serve" with args but stops once the database is
// migrated (and seeded with --demo), before serving.
func prepare(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(string) string { return "" }
	err := m.ParseFlags(context.Background(), append([]string{"serve"}, args...))
	if err == nil {
		m.cmd.(*serveCommand).serve = func(context.Context, *sqlstore.DB) error { return nil }
		err = m.Run(context.Background())
	}
	if err = errors.Join(err, m.Close()); err != nil {
		fmt.Fprintln(&stderr, "allot: "+errorLine(err))
		return result{1, stdout.String(), stderr.String()}
	}
	return result{0, stdout.String(), stderr.String()}
}

// demoDB returns the path of a new database seeded with the demo tenant.
func demoDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "allot.db")
	if r := prepare(t, "--db", path, "--demo", "--synchronous", "normal"); r.code != 0 {
		t.Fatalf("serve --demo: %+v", r)
	}
	return path
}

// openDB opens a database the test inspects behind the command's back.
func openDB(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// state is what a second "serve --demo" must leave as it was.
type state struct {
	SKUs   []*allot.SubscribedSKU
	Users  int
	Events int
}

func demoState(t *testing.T, path string) state {
	t.Helper()
	ctx := context.Background()
	// Closed at once, not at the end of the test: the next serve opens
	// the file alone.
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tenant, err := db.FindTenantByDomain(ctx, demo.Domain)
	if err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tenant.ID, "test")
	skus, err := db.FindSubscribedSKUs(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	users, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	events, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Every start issues a new token and sets a new password for the
	// administrator, audited writes of their own.
	events = slices.DeleteFunc(events, func(e *allot.AuditEvent) bool {
		return e.Action == allot.AuditTokenCreate || e.Action == allot.AuditPasswordSet
	})
	return state{skus, users, len(events)}
}

func TestServeDemoTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	wantOut := []string{
		"allot: demo tenant Contoso (contoso.example) created: 31 users, 6 subscriptions, Global Administrator admin@contoso.example\n",
		"allot: demo tenant Contoso (contoso.example) already present: 31 users, 6 subscriptions, Global Administrator admin@contoso.example\n",
	}
	var states []state
	for i, want := range wantOut {
		got := prepare(t, "--db", path, "--demo")
		if w := (result{0, want, ""}); got != w {
			t.Fatalf("serve --demo, run %d:\nwant %+v\ngot  %+v", i+1, w, got)
		}
		states = append(states, demoState(t, path))
	}
	if !reflect.DeepEqual(states[0], states[1]) {
		t.Errorf("the second serve --demo changed the database (-want +got):\n-%+v\n+%+v", states[0], states[1])
	}
}

func TestServeWithoutDemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	want := result{0, "", ""}
	if got := prepare(t, "--db", path); got != want {
		t.Fatalf("want %+v\ngot  %+v", want, got)
	}
	_, err := openDB(t, path).FindTenantByDomain(context.Background(), demo.Domain)
	if allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Errorf("without --demo the demo tenant exists (err %v)", err)
	}
}

// TestServeSeam checks that the server hook runs on the database once it
// is migrated and seeded, and that its failure is the command's.
func TestServeSeam(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	defer m.Close()
	if err := m.ParseFlags(ctx, []string{"serve", "--db", path, "--demo"}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("server stopped")
	var users int
	m.cmd.(*serveCommand).serve = func(ctx context.Context, db *sqlstore.DB) error {
		tenant, err := db.FindTenantByDomain(ctx, demo.Domain)
		if err != nil {
			return err
		}
		users, err = db.CountUsers(ctx, allot.SystemPrincipal(tenant.ID, "test"), allot.UserFilter{})
		if err != nil {
			return err
		}
		return stop
	}
	if err := m.Run(ctx); err != stop {
		t.Errorf("Run = %v, want the server's error", err)
	}
	if users != 31 {
		t.Errorf("the server saw %d users, want the 31 of the demo", users)
	}
}

func TestTokenCreate(t *testing.T) {
	path := demoDB(t)
	r := runAllot(t, "token", "create", "--db", path, "--user", demo.AdminUPN, "--expires", "1h")
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("token create: want exit 0 and one line on stdout only, got %+v", r)
	}
	secret := strings.TrimSuffix(r.stdout, "\n")
	p, err := openDB(t, path).Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatalf("Authenticate(%q): %v", secret, err)
	}
	if p.Name != demo.AdminUPN || !p.HasRole(allot.RoleGlobalAdmin) {
		t.Errorf("token principal = %+v, want %s with %s", p, demo.AdminUPN, allot.RoleGlobalAdmin)
	}
}

func TestTokenRevoke(t *testing.T) {
	ctx := context.Background()
	path := demoDB(t)
	tests := []struct {
		name string
		// token issues a token and returns its secret and what to pass to
		// "token revoke".
		token func(t *testing.T) (secret, arg string)
	}{
		{"by secret", func(t *testing.T) (string, string) {
			r := runAllot(t, "token", "create", "--db", path, "--user", demo.AdminUPN)
			if r.code != 0 {
				t.Fatalf("token create: %+v", r)
			}
			secret := strings.TrimSpace(r.stdout)
			return secret, secret
		}},
		{"by id", func(t *testing.T) (string, string) {
			// "token create" prints no id, so the store issues this one.
			db := openDB(t, path)
			tenant, err := db.FindTenantByDomain(ctx, demo.Domain)
			if err != nil {
				t.Fatal(err)
			}
			secret, tok, err := db.CreateToken(ctx, tenant.ID, demo.AdminUPN, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return secret, tok.ID
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, arg := tt.token(t)
			db := openDB(t, path)
			if _, err := db.Authenticate(ctx, secret); err != nil {
				t.Fatalf("Authenticate before revoke: %v", err)
			}
			want := result{0, "allot: token revoked\n", ""}
			if got := runAllot(t, "token", "revoke", "--db", path, arg); got != want {
				t.Fatalf("token revoke:\nwant %+v\ngot  %+v", want, got)
			}
			if _, err := db.Authenticate(ctx, secret); allot.ErrorCode(err) != allot.EUNAUTHORIZED {
				t.Errorf("Authenticate after revoke: %v, want %s", err, allot.EUNAUTHORIZED)
			}
			want = result{1, "", "allot: No active token matches.\n"}
			if got := runAllot(t, "token", "revoke", "--db", path, arg); got != want {
				t.Errorf("second token revoke:\nwant %+v\ngot  %+v", want, got)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout
		wantErr  []string // substrings of stderr
	}{
		{"-h", []string{"-h"}, 0, []string{"Commands:", "serve", "token"}, nil},
		{"--help", []string{"--help"}, 0, []string{"Commands:", "serve", "token"}, nil},
		{"help", []string{"help"}, 0, []string{"Commands:", "serve", "token"}, nil},
		{"no arguments", nil, 2, nil, []string{"Commands:", "serve", "token"}},
		{"help serve", []string{"help", "serve"}, 0, []string{"Usage: allot serve", "-demo", "-synchronous"}, nil},
		{"serve -h", []string{"serve", "-h"}, 0, []string{"Usage: allot serve", "-catalog"}, nil},
		{"token --help", []string{"token", "--help"}, 0, []string{"create", "revoke"}, nil},
		{"token", []string{"token"}, 2, nil, []string{"create", "revoke"}},
		{"help token create", []string{"help", "token", "create"}, 0, []string{"Usage: allot token create", "-expires"}, nil},
		{"token revoke -h", []string{"token", "revoke", "-h"}, 0, []string{"Usage: allot token revoke", "-db"}, nil},
		{"-h lists client commands", []string{"-h"}, 0, []string{"skus", "subscriptions", "users", "license", "ALLOT_URL", "ALLOT_TOKEN", "Examples:"}, nil},
		{"serve -h shows the server flags", []string{"serve", "-h"}, 0, []string{"-addr", "-rate-limit", "-log-format", "export ALLOT_URL="}, nil},
		{"skus -h", []string{"skus", "-h"}, 0, []string{"Usage: allot skus", "AVAILABLE", "-output", "-url", "-token", "$ALLOT_URL"}, nil},
		{"help subscriptions", []string{"help", "subscriptions"}, 0, []string{"Usage: allot subscriptions", "NEXT LIFECYCLE"}, nil},
		{"users", []string{"users"}, 2, nil, []string{"list", "show", "delete", "restore"}},
		{"help users list", []string{"help", "users", "list"}, 0, []string{"Usage: allot users list", "-unlicensed", "-limit", "Examples:"}, nil},
		{"users restore -h", []string{"users", "restore", "-h"}, 0, []string{"Usage: allot users restore", "30 days"}, nil},
		{"license --help", []string{"license", "--help"}, 0, []string{"assign", "unassign"}, nil},
		{"license assign -h", []string{"license", "assign", "-h"}, 0, []string{"-sku", "-users-from", "-disable-plan", "-dry-run", "-atomic", "Examples:"}, nil},
		{"license unassign -h", []string{"license", "unassign", "-h"}, 0, []string{"-sku", "-users-from", "twice is safe", "Examples:"}, nil},
		{"global flags then -h", []string{"--output", "json", "-h"}, 0, []string{"Commands:"}, nil},
		{"doctor -h", []string{"doctor", "-h"}, 0, []string{"Usage: allot doctor", "-db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAllot(t, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code %d, want %d", got.code, tt.wantCode)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(got.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, got.stdout)
				}
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(got.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, got.stderr)
				}
			}
			if tt.wantOut == nil && got.stdout != "" {
				t.Errorf("stdout should be empty, got:\n%s", got.stdout)
			}
			if tt.wantErr == nil && got.stderr != "" {
				t.Errorf("stderr should be empty, got:\n%s", got.stderr)
			}
		})
	}
}

// TestErrors checks that every failure is one line on stderr, nothing on
// stdout, and exit status 1 for failures or 2 for usage mistakes.
func TestErrors(t *testing.T) {
	path := demoDB(t)
	missing := filepath.Join(t.TempDir(), "missing.db")
	emptyFile := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(emptyFile, []byte("# nobody yet\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr string // the one line on stderr
	}{
		{"unknown command", []string{"bogus"}, 2, `allot: unknown command "bogus"; run 'allot help' for the list of commands`},
		{"bad flag", []string{"serve", "--bogus"}, 2, "allot: serve: flag provided but not defined: -bogus (run 'allot serve -h' for usage)"},
		{"bad flag value", []string{"token", "create", "--expires", "soon", "--user", demo.AdminUPN}, 2, `allot: token create: invalid value "soon" for flag -expires: parse error (run 'allot token create -h' for usage)`},
		{"serve argument", []string{"serve", "extra"}, 2, `allot: serve takes no arguments, got "extra" (run 'allot serve -h' for usage)`},
		{"bad synchronous", []string{"serve", "--synchronous", "off"}, 2, `allot: serve: --synchronous must be FULL or NORMAL, not "OFF"`},
		{"missing catalog", []string{"serve", "--db", path, "--catalog", filepath.Join(t.TempDir(), "none.json")}, 1, "allot: catalog: open "},
		{"unknown token subcommand", []string{"token", "rotate"}, 2, `allot: token: unknown subcommand "rotate"; want create, list or revoke`},
		{"token without user", []string{"token", "create", "--db", path}, 2, "allot: token create: --user is required, e.g. --user admin@contoso.example"},
		{"token for a non-UPN", []string{"token", "create", "--db", path, "--user", "admin"}, 2, `allot: token create: --user "admin" is not a userPrincipalName of the form name@domain`},
		{"token expiring at once", []string{"token", "create", "--db", path, "--user", demo.AdminUPN, "--expires", "0s"}, 2, "allot: token create: --expires must be positive, not 0s"},
		{"unknown user", []string{"token", "create", "--db", path, "--user", "nobody@contoso.example"}, 1, "allot: tenant Contoso has no user nobody@contoso.example"},
		{"unknown domain", []string{"token", "create", "--db", path, "--user", "admin@fabrikam.example"}, 1, "allot: no tenant has the domain fabrikam.example of user admin@fabrikam.example"},
		{"blocked user", []string{"token", "create", "--db", path, "--user", "enrico@contoso.example"}, 1, "allot: user enrico@contoso.example is blocked from signing in, so a token for them would be refused"},
		{"missing database", []string{"token", "create", "--db", missing, "--user", demo.AdminUPN}, 1, "allot: database " + missing + " does not exist (run 'allot serve --db " + missing + "' to create it)"},
		{"revoke unknown token", []string{"token", "revoke", "--db", path, "allot_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, 1, "allot: No active token matches."},
		{"revoke without token", []string{"token", "revoke", "--db", path}, 2, "allot: token revoke takes one TOKEN_OR_ID after the flags, got 0 arguments (run 'allot token revoke -h' for usage)"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, 2, `allot: serve: --log-format must be text or json, not "xml"`},
		{"negative rate limit", []string{"serve", "--rate-limit", "-1"}, 2, "allot: serve: --rate-limit and --rate-burst cannot be negative"},
		{"profiles without a metrics listener", []string{"serve", "--pprof"}, 2, "allot: serve: --pprof serves profiles on --metrics-addr only: set --metrics-addr (e.g. 127.0.0.1:9090)"},
		{"bad global flag", []string{"--bogus", "skus"}, 2, "allot: flag provided but not defined: -bogus (run 'allot -h' for usage)"},
		{"client without URL", []string{"skus"}, 2, "allot: skus needs the server's URL: set ALLOT_URL (allot serve prints it) or pass --url"},
		{"client without token", []string{"--url", "http://127.0.0.1:1", "skus"}, 2, "allot: skus needs an access token: set ALLOT_TOKEN"},
		{"client with a bad URL", []string{"users", "list", "--url", "127.0.0.1:8080", "--token", "t"}, 2, `allot: --url "127.0.0.1:8080" is not a server URL such as http://127.0.0.1:8080`},
		{"bad output", []string{"--url", "http://127.0.0.1:1", "--token", "t", "skus", "-o", "yaml"}, 2, `allot: skus: --output must be table or json, not "yaml"`},
		{"bad global output", []string{"--output", "yaml", "--url", "http://127.0.0.1:1", "--token", "t", "subscriptions"}, 2, `allot: subscriptions: --output must be table or json, not "yaml"`},
		{"sku and unlicensed", []string{"users", "list", "--sku", "SPB", "--unlicensed"}, 2, "allot: users list: --sku and --unlicensed exclude each other"},
		{"users show without UPN", []string{"users", "show"}, 2, "allot: users show takes one UPN after the flags, got 0 arguments (run 'allot users show -h' for usage)"},
		{"unknown users subcommand", []string{"users", "add"}, 2, `allot: users: unknown subcommand "add"; want list, show, create, update, delete, data, offboard, restore, import, export or set-password`},
		{"license without sku", []string{"license", "assign", "--user", "adele@contoso.example"}, 2, "allot: license assign: --sku is required, e.g. --sku SPB (run 'allot skus' for the part numbers)"},
		{"license without users", []string{"license", "unassign", "--sku", "SPB"}, 2, "allot: license unassign: name the users with --user UPN or --users-from FILE"},
		{"license with a user argument", []string{"license", "assign", "--sku", "SPB", "adele@contoso.example"}, 2, `allot: license assign takes users with --user or --users-from, not as arguments; got "adele@contoso.example"`},
		{"unassign with a disabled plan", []string{"license", "unassign", "--sku", "SPB", "--user", "a@b.c", "--disable-plan", "TEAMS1"}, 2, "allot: license unassign: flag provided but not defined: -disable-plan"},
		{"empty users file", []string{"--url", "http://127.0.0.1:1", "--token", "t", "license", "assign", "--sku", "SPB", "--users-from", emptyFile}, 2, "allot: license assign: " + emptyFile + " names no users"},
		{"missing users file", []string{"--url", "http://127.0.0.1:1", "--token", "t", "license", "assign", "--sku", "SPB", "--users-from", missing}, 1, "allot: --users-from: open " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAllot(t, tt.args...)
			if got.code != tt.want || got.stdout != "" {
				t.Errorf("want exit %d and no stdout, got %+v", tt.want, got)
			}
			if strings.Count(got.stderr, "\n") != 1 || !strings.HasPrefix(got.stderr, tt.wantErr) {
				t.Errorf("stderr:\nwant %q\ngot  %q", tt.wantErr, got.stderr)
			}
		})
	}
}

func TestErrorLine(t *testing.T) {
	inner := allot.Errorf(allot.EINVALID, "catalog: bad\nfile")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"allot error", inner, "catalog: bad file"},
		{"wrapped allot error", fmt.Errorf("catalog x.json: %w", inner), "catalog x.json: catalog: bad file"},
		{"other error", errors.New("open x: permission denied"), "open x: permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorLine(tt.err); got != tt.want {
				t.Errorf("errorLine = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"./allot.db", "./allot.db"},
		{"postgres://allot:secret@db.example/allot?sslmode=disable", "postgres://allot:xxxxx@db.example/allot?sslmode=disable"},
	}
	for _, tt := range tests {
		if got := redact(tt.dsn); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestDoctor(t *testing.T) {
	path := demoDB(t)
	want := result{0, "allot: every invariant holds: seat counters, capacities, pools, deleted users, audit and integrity\n", ""}
	if got := runAllot(t, "doctor", "--db", path); got != want {
		t.Fatalf("doctor on a healthy database:\nwant %+v\ngot  %+v", want, got)
	}
	// Break one counter behind the store's back.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`UPDATE seat_pools SET consumed = consumed + 1 WHERE sku_id = $1 AND pool = ''`, demo.SKUBusinessPremium)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := runAllot(t, "doctor", "--db", path)
	wantErr := regexp.MustCompile(`^allot: counter: tenant \S+: SKU ` + demo.SKUBusinessPremium + ` pool "": counter says 12, 11 licenses assigned\n$`)
	if got.code != 1 || got.stdout != "" || !wantErr.MatchString(got.stderr) {
		t.Errorf("doctor on a broken counter: want exit 1 and a line matching %s, got %+v", wantErr, got)
	}
}
