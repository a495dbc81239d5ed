package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// tokenLineRE is the last line of "tenant create": the token alone.
var tokenLineRE = regexp.MustCompile(`^allot_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$`)

// createTenant runs "tenant create" with args, which must succeed, and
// returns the token printed on its last line.
func createTenant(t *testing.T, args ...string) string {
	t.Helper()
	r := runAllot(t, append([]string{"tenant", "create"}, args...)...)
	if r.code != 0 {
		t.Fatalf("tenant create: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !tokenLineRE.MatchString(last) {
		t.Fatalf("the last line of tenant create is %q, want a token alone\n%s", last, r.stdout)
	}
	return last
}

// startServerOn runs "allot serve" without the demo on an existing
// database and returns it with token as the clients' token, once it
// listens. It is stopped when the test ends.
func startServerOn(t *testing.T, dsn, token string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &testServer{token: token, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	m := NewMain(pw, s.stderr)
	m.Getenv = func(string) string { return "" }
	go func() {
		err := m.ParseFlags(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--synchronous", "normal", "--db", dsn})
		if err == nil {
			err = m.Run(ctx)
		}
		err = errors.Join(err, m.Close())
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() { s.stop(t) })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case s.url = <-ready:
	case err := <-s.done:
		t.Fatalf("serve returned before listening: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no URL within 30s\nstderr:\n%s", s.stderr)
	}
	return s
}

// TestTenantFromNothing walks the README's "Your own organisation" from an
// empty database to an assigned license, through the real Main.
func TestTenantFromNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fabrikam.db")
	token := createTenant(t, "--db", path, "--name", "Fabrikam", "--domain", "fabrikam.example", "--admin", "admin@fabrikam.example",
		"--usage-location", "FR", "--subscription", "spe_e3:2", "--subscription", "SPB:1")
	s := startServerOn(t, path, token)

	if out := s.mustRun(t, "skus"); !skuRow("Microsoft 365 E3", "SPE_E3", "2", "0", "2").MatchString(out) {
		t.Errorf("skus of the new tenant lacks Microsoft 365 E3 with 2 licenses, none assigned:\n%s", out)
	}
	s.mustRun(t, "users", "create", "eva@fabrikam.example", "--name", "Eva Lind", "--usage-location", "SE")
	r := s.run(t, "users", "create", "x1@other.example", "--name", "X1", "--usage-location", "SE")
	const refusal = "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
	if r.code != 1 || !strings.Contains(r.stderr, refusal) {
		t.Errorf("users create on a foreign domain: exit %d, stderr %q; want 1 and Graph's refusal", r.code, r.stderr)
	}
	s.mustRun(t, "license", "assign", "--sku", "SPE_E3", "--user", "eva@fabrikam.example")
	if out := s.mustRun(t, "skus"); !skuRow("Microsoft 365 E3", "SPE_E3", "2", "1", "1").MatchString(out) {
		t.Errorf("after the assignment, skus does not show 1 of 2 assigned:\n%s", out)
	}
	if out := s.mustRun(t, "users", "list", "--sku", "SPE_E3"); !strings.Contains(out, "eva@fabrikam.example") {
		t.Errorf("users list --sku SPE_E3 lacks Eva:\n%s", out)
	}
}

func TestTenantCreateRefusals(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	createTenant(t, "--db", path, "--name", "Fabrikam", "--domain", "fabrikam.example", "--admin", "admin@fabrikam.example")
	base := func(extra ...string) []string {
		return append([]string{"tenant", "create", "--db", path, "--name", "Northwind"}, extra...)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"domain of another tenant", base("--domain", "FABRIKAM.example", "--admin", "boss@fabrikam.example"), 1,
			"allot: The domain fabrikam.example is already used by another organisation.\n"},
		{"unknown SKU", base("--domain", "northwind.example", "--admin", "admin@northwind.example", "--subscription", "SPB:3", "--subscription", "NOPE:3"), 1,
			"allot: --subscription NOPE:3: no product has the skuPartNumber NOPE\n"},
		{"administrator on another domain", base("--domain", "northwind.example", "--admin", "admin@fabrikam.example"), 1,
			"allot: --admin admin@fabrikam.example is not on the domain northwind.example: The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.\n"},
		{"bad domain", base("--domain", "northwind", "--admin", "admin@northwind"), 1,
			"allot: \"northwind\" is not a domain name (letters, digits and hyphens, in labels separated by dots, such as fabrikam.example).\n"},
		{"bad usage location", base("--domain", "northwind.example", "--admin", "admin@northwind.example", "--usage-location", "XX"), 1,
			"allot: Invalid value specified for property 'usageLocation' of resource 'User': \"XX\" is not an ISO 3166-1 alpha-2 country code.\n"},
		{"no quantity", base("--domain", "northwind.example", "--admin", "admin@northwind.example", "--subscription", "SPB"), 2,
			"allot: tenant create: invalid value \"SPB\" for flag -subscription: want SKU:N, a skuPartNumber and a positive number of licenses such as SPE_E3:25, not \"SPB\" (run 'allot tenant create -h' for usage)\n"},
		{"zero licenses", base("--domain", "northwind.example", "--admin", "admin@northwind.example", "--subscription", "SPB:0"), 2,
			"allot: tenant create: invalid value \"SPB:0\" for flag -subscription: want SKU:N, a skuPartNumber and a positive number of licenses such as SPE_E3:25, not \"SPB:0\" (run 'allot tenant create -h' for usage)\n"},
		{"no administrator", base("--domain", "northwind.example"), 2,
			"allot: tenant create: --admin is required, e.g. --admin admin@fabrikam.example\n"},
		{"an argument", base("--domain", "northwind.example", "--admin", "admin@northwind.example", "extra"), 2,
			"allot: tenant create takes no arguments, got \"extra\" (run 'allot tenant create -h' for usage)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAllot(t, tt.args...)
			if r.code != tt.code || r.stderr != tt.stderr || r.stdout != "" {
				t.Errorf("exit, stderr (-want +got):\n-%d %q\n+%d %q (stdout %q)", tt.code, tt.stderr, r.code, r.stderr, r.stdout)
			}
		})
	}
	tenants, err := openDB(t, path).FindTenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tenants) != 1 {
		t.Errorf("after refused setups the database holds %d tenants, want Fabrikam alone", len(tenants))
	}
}

func TestTenantDomainAdd(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	createTenant(t, "--db", path, "--name", "Fabrikam", "--domain", "fabrikam.example", "--admin", "admin@fabrikam.example")
	createTenant(t, "--db", path, "--name", "Northwind", "--domain", "northwind.example", "--admin", "admin@northwind.example")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"add", []string{"--tenant", "fabrikam.example", "Fabrikam.EU"}, 0, "allot: fabrikam.eu is now a domain of Fabrikam\n", ""},
		{"add as default, naming the tenant by another domain", []string{"--tenant", "FABRIKAM.eu", "--default", "fabrikam.io"}, 0,
			"allot: fabrikam.io is now the default domain of Fabrikam\n", ""},
		{"another tenant's domain", []string{"--tenant", "northwind.example", "fabrikam.eu"}, 1, "",
			"allot: The domain fabrikam.eu is already in use, by this organisation or another one.\n"},
		{"no such tenant", []string{"--tenant", "nobody.example", "nobody.io"}, 1, "", "allot: no tenant has the domain nobody.example\n"},
		{"no tenant", []string{"nobody.io"}, 2, "", "allot: tenant domain add: --tenant is required, e.g. --tenant fabrikam.example\n"},
		{"no domain", []string{"--tenant", "fabrikam.example"}, 2, "",
			"allot: tenant domain add takes one NEWDOMAIN after the flags, got 0 arguments (run 'allot tenant domain add -h' for usage)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAllot(t, append([]string{"tenant", "domain", "add", "--db", path}, tt.args...)...)
			if r.code != tt.code || r.stdout != tt.stdout || r.stderr != tt.stderr {
				t.Errorf("exit, stdout, stderr (-want +got):\n-%d %q %q\n+%d %q %q", tt.code, tt.stdout, tt.stderr, r.code, r.stdout, r.stderr)
			}
		})
	}
	tn, err := openDB(t, path).FindTenantByDomain(context.Background(), "fabrikam.eu")
	if err != nil {
		t.Fatal(err)
	}
	if tn.Name != "Fabrikam" || tn.Domain != "fabrikam.io" {
		t.Errorf("tenant of fabrikam.eu (-want +got):\n-Fabrikam fabrikam.io\n+%s %s", tn.Name, tn.Domain)
	}
	// token create finds the tenant by any of its domains.
	db := openDB(t, path)
	p := allot.SystemPrincipal(tn.ID, "test")
	if err := db.CreateUser(context.Background(), p, &allot.User{UserPrincipalName: "eva@fabrikam.eu", DisplayName: "Eva", AccountEnabled: true}); err != nil {
		t.Fatal(err)
	}
	if r := runAllot(t, "token", "create", "--db", path, "--user", "eva@fabrikam.eu"); r.code != 0 || !tokenLineRE.MatchString(strings.TrimSpace(r.stdout)) {
		t.Errorf("token create for a user on a second domain: %+v", r)
	}
}

// TestTenantCreatePostgres sets up an organisation in PostgreSQL, from an
// empty database, and refuses its domain a second time.
func TestTenantCreatePostgres(t *testing.T) {
	t.Parallel()
	url := postgresDSN(t)
	token := createTenant(t, "--db", url, "--name", "Fabrikam", "--domain", "fabrikam.example", "--admin", "admin@fabrikam.example",
		"--usage-location", "FR", "--subscription", "SPE_E3:2")
	r := runAllot(t, "tenant", "create", "--db", url, "--name", "Again", "--domain", "fabrikam.example", "--admin", "boss@fabrikam.example")
	if want := "allot: The domain fabrikam.example is already used by another organisation.\n"; r.code != 1 || r.stderr != want {
		t.Errorf("a second tenant on the domain (-want +got):\n-1 %q\n+%d %q", want, r.code, r.stderr)
	}
	s := startServerOn(t, url, token)
	s.mustRun(t, "license", "assign", "--sku", "SPE_E3", "--user", "admin@fabrikam.example")
	if out := s.mustRun(t, "skus"); !skuRow("Microsoft 365 E3", "SPE_E3", "2", "1", "1").MatchString(out) {
		t.Errorf("skus on PostgreSQL does not show 1 of 2 assigned:\n%s", out)
	}
}
