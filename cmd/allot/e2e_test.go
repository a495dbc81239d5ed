package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// The end-to-end tests start the real Main with "serve --demo" on a free
// port and run the client commands through Main against it, as a user
// would in two terminals.

// testServer is a running "allot serve --demo".
type testServer struct {
	url, token string
	password   string // the demo administrator's, as serve printed it
	metricsURL string // with --metrics-addr
	stderr     *lockedBuffer
	cancel     context.CancelFunc
	done       chan error // Main's error, once it returned
}

// lockedBuffer is a buffer written by the server and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	listeningRE = regexp.MustCompile(`^allot: listening on (http://\S+)$`)
	exportRE    = regexp.MustCompile(`^export ALLOT_URL=(\S+) ALLOT_TOKEN=(\S+)$`)
	metricsRE   = regexp.MustCompile(`^allot: metrics on (http://\S+)$`)
	passwordRE  = regexp.MustCompile(`^allot: sign in to the admin center at \S+ as \S+ with the password (\S+)$`)
)

// startServer runs "allot serve --demo" on a new database and waits until
// it printed its URL and token. It is stopped when the test ends.
func startServer(t *testing.T, extra ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &testServer{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	m := NewMain(pw, s.stderr)
	m.Getenv = func(string) string { return "" }
	args := []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--synchronous", "normal"}
	if !slices.Contains(extra, "--db") { // a flag is given once
		args = append(args, "--db", filepath.Join(t.TempDir(), "allot.db"))
	}
	args = append(args, extra...)
	go func() {
		err := m.ParseFlags(ctx, args)
		if err == nil {
			err = m.Run(ctx)
		}
		err = errors.Join(err, m.Close())
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() { s.stop(t) })

	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		var listening string
		for sc.Scan() {
			line := sc.Text()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				listening = m[1]
			}
			if m := metricsRE.FindStringSubmatch(line); m != nil {
				s.metricsURL = m[1]
			}
			if m := passwordRE.FindStringSubmatch(line); m != nil {
				s.password = m[1]
			}
			if m := exportRE.FindStringSubmatch(line); m != nil {
				if m[1] != listening {
					t.Errorf("export line URL %s, want the listening URL %s", m[1], listening)
				}
				s.url, s.token = m[1], m[2]
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("serve returned before listening: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no URL and token within 30s\nstderr:\n%s", s.stderr)
	}
	return s
}

// stop cancels the server's context and checks that Main returns nil
// within a few seconds.
func (s *testServer) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v after its context ended, want nil", err)
		}
		s.done <- err // for a second stop
	case <-time.After(5 * time.Second):
		t.Errorf("serve did not return within 5s of its context ending")
	}
}

// env is the environment of a client talking to the server.
func (s *testServer) env() map[string]string {
	return map[string]string{envURL: s.url, envToken: s.token}
}

// run runs a client command against the server.
func (s *testServer) run(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, s.env(), "", args...)
}

// mustRun runs a command that must succeed and returns its stdout.
func (s *testServer) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := s.run(t, args...)
	if r.code != 0 {
		t.Fatalf("allot %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// column returns the first column of a table's rows, sorted, without the
// header.
func column(table string) []string {
	var out []string
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			out = append(out, f[0])
		}
	}
	slices.Sort(out)
	return out
}

// demoUPNs returns the demo users for which keep is true, sorted.
func demoUPNs(keep func(demo.User) bool) []string {
	var out []string
	for _, u := range demo.Users() {
		if keep(u) {
			out = append(out, u.UPN())
		}
	}
	slices.Sort(out)
	return out
}

func holds(skuID string) func(demo.User) bool {
	return func(u demo.User) bool {
		return slices.ContainsFunc(u.Licenses, func(l allot.AssignedLicense) bool { return l.SKUID == skuID })
	}
}

// skuRow matches the skus row of a product: total, assigned, available.
func skuRow(product, part string, total, assigned, available string) *regexp.Regexp {
	return selfServiceRow(product, part, total, assigned, available, "-")
}

// selfServiceRow matches a row of "allot skus" with its SELF-SERVICE
// column.
func selfServiceRow(product, part string, total, assigned, available, selfService string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(product) + `\s+` + part + `\s+` + total + `\s+` + assigned + `\s+` + available + `\s+` + selfService + `\s*$`)
}

func TestSKUs(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustRun(t, "skus")
	if !strings.HasPrefix(out, "PRODUCT ") {
		t.Errorf("skus has no header:\n%s", out)
	}
	if re := skuRow("Microsoft 365 Business Premium", "SPB", "13", "11", "2"); !re.MatchString(out) {
		t.Errorf("skus lacks Business Premium with 13 in total, 11 assigned, 2 available (%s):\n%s", re, out)
	}
	if n := strings.Count(out, "\n"); n != 6 {
		t.Errorf("skus printed %d lines, want a header and the 5 products of the demo:\n%s", n, out)
	}
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustRun(t, "subscriptions")
	for _, re := range []string{
		`(?m)^ID\s+PRODUCT\s+STATUS\s+LICENSES\s+TRIAL\s+CREATED\s+NEXT LIFECYCLE\s+OWNER$`,
		`(?m)^\S+\s+Microsoft 365 Business Premium\s+Enabled\s+5\s+no\s+\d{4}-\d\d-\d\d\s+\d{4}-\d\d-\d\d\s+admins$`,
		`(?m)^\S+\s+Microsoft 365 Business Premium\s+Enabled\s+8\s+no\s`,
		`(?m)^\S+\s+Office 365 E5\s+Enabled\s+3\s+yes\s`,
		`(?m)^\S+\s+Microsoft 365 Business Basic\s+.*\s` + regexp.QuoteMeta(demo.PurchaserUPN) + ` \(self-service\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("subscriptions does not match %s:\n%s", re, out)
		}
	}
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	spb := demoUPNs(holds(demo.SKUBusinessPremium))
	none := demoUPNs(func(u demo.User) bool { return len(u.Licenses) == 0 })
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"by part number", []string{"users", "list", "--sku", "SPB"}, spb},
		{"by skuId", []string{"users", "list", "--sku", strings.ToUpper(demo.SKUBusinessPremium)}, spb},
		{"unlicensed", []string{"users", "list", "--unlicensed"}, none},
		{"all", []string{"users", "list"}, demoUPNs(func(demo.User) bool { return true })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := column(s.mustRun(t, tt.args...))
			if !slices.Equal(got, tt.want) {
				t.Errorf("users (-want +got):\n-%v\n+%v", tt.want, got)
			}
		})
	}
	t.Run("columns", func(t *testing.T) {
		out := s.mustRun(t, "users", "list", "--sku", "SPB")
		for _, re := range []string{
			`(?m)^UPN\s+NAME\s+LOCATION\s+SIGN-IN\s+LICENSES$`,
			`(?m)^enrico@contoso\.example\s+Enrico Cattaneo\s+US\s+blocked\s+SPB$`,
			`(?m)^johanna@contoso\.example\s+Johanna Lorenz\s+US\s+allowed\s+(ENTERPRISEPACK,SPB|SPB,ENTERPRISEPACK)$`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("users list --sku SPB does not match %s:\n%s", re, out)
			}
		}
	})
	t.Run("limit", func(t *testing.T) {
		if got := column(s.mustRun(t, "users", "list", "--limit", "3")); len(got) != 3 {
			t.Errorf("--limit 3 listed %d users: %v", len(got), got)
		}
	})
}

func TestDeleteRestore(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const upn = "alex@contoso.example"
	if out := s.mustRun(t, "users", "delete", upn); !strings.HasPrefix(out, "deleted "+upn) {
		t.Errorf("users delete printed %q", out)
	}
	if slices.Contains(column(s.mustRun(t, "users", "list")), upn) {
		t.Errorf("users list still lists %s", upn)
	}
	if re := skuRow("Microsoft 365 Business Premium", "SPB", "13", "10", "3"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("deleting a user did not free its license (%s)", re)
	}
	want := result{0, "restored " + upn + " with its licenses\n", ""}
	if got := s.run(t, "users", "restore", upn); got != want {
		t.Fatalf("users restore:\nwant %+v\ngot  %+v", want, got)
	}
	if !strings.Contains(s.mustRun(t, "users", "show", upn), "Microsoft 365 Business Premium") {
		t.Errorf("the restored user lacks its license")
	}
	want = result{1, "", "allot: no deleted user has the userPrincipalName " + upn + " (deleted users can be restored for 30 days)\n"}
	if got := s.run(t, "users", "restore", upn); got != want {
		t.Errorf("second users restore:\nwant %+v\ngot  %+v", want, got)
	}
	want = result{1, "", "allot: Resource 'nobody@contoso.example' does not exist or one of its queried reference-property objects are not present.\n"}
	if got := s.run(t, "users", "delete", "nobody@contoso.example"); got != want {
		t.Errorf("users delete of an unknown user:\nwant %+v\ngot  %+v", want, got)
	}
}

func TestJSONOutput(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, doc any)
	}{
		{"skus", []string{"skus", "--output", "json"}, func(t *testing.T, doc any) {
			skus, _ := doc.([]any)
			if len(skus) != 5 || skus[0].(map[string]any)["skuPartNumber"] == nil {
				t.Errorf("want 5 subscribedSku objects, got %v", doc)
			}
		}},
		{"global flag", []string{"-o", "json", "subscriptions"}, func(t *testing.T, doc any) {
			if subs, _ := doc.([]any); len(subs) != 6 {
				t.Errorf("want 6 companySubscription objects, got %v", doc)
			}
		}},
		{"users list", []string{"users", "list", "--unlicensed", "-o", "json"}, func(t *testing.T, doc any) {
			users, _ := doc.([]any)
			if len(users) != 10 || users[0].(map[string]any)["userPrincipalName"] == nil {
				t.Errorf("want 10 user objects, got %v", doc)
			}
		}},
		{"users show", []string{"users", "show", "johanna@contoso.example", "-o", "json"}, func(t *testing.T, doc any) {
			u, _ := doc.(map[string]any)
			if ld, _ := u["licenseDetails"].([]any); len(ld) != 2 || u["userPrincipalName"] != "johanna@contoso.example" {
				t.Errorf("want johanna with her 2 licenseDetails, got %v", doc)
			}
		}},
		{"empty list", []string{"users", "list", "--sku", "EXCHANGEENTERPRISE", "-o", "json"}, func(t *testing.T, doc any) {
			if users, ok := doc.([]any); !ok || len(users) != 0 {
				t.Errorf("want [], got %v", doc)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal([]byte(s.mustRun(t, tt.args...)), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v", err)
			}
			tt.check(t, doc)
		})
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// A port where nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"bad token", map[string]string{envURL: s.url, envToken: "allot_not_a_token"}, []string{"skus"},
			"allot: the token was refused (InvalidAuthenticationToken): set ALLOT_TOKEN to a valid token; 'allot token create --user UPN' issues one (the server said: Access token is empty, malformed, expired or revoked.)\n"},
		{"bad token flag", s.env(), []string{"users", "list", "--token", "allot_bad"},
			"allot: the token was refused (InvalidAuthenticationToken): set --token to a valid token; 'allot token create --user UPN' issues one (the server said: Access token is empty, malformed, expired or revoked.)\n"},
		{"nobody listening", map[string]string{envURL: closed, envToken: s.token}, []string{"skus"},
			"allot: cannot reach the allot server at " + closed + " (ALLOT_URL): connection refused; is 'allot serve' running there?\n"},
		{"flag wins over ALLOT_URL", map[string]string{envURL: s.url, envToken: s.token}, []string{"--url", closed, "skus"},
			"allot: cannot reach the allot server at " + closed + " (--url): connection refused; is 'allot serve' running there?\n"},
		{"unknown SKU", s.env(), []string{"license", "assign", "--sku", "NOPE", "--user", "adele@contoso.example"},
			`allot: unknown SKU "NOPE": it is neither in the catalog nor among the tenant's products (run 'allot skus' for their part numbers)` + "\n"},
		{"unknown plan", s.env(), []string{"license", "assign", "--sku", "SPB", "--user", "adele@contoso.example", "--disable-plan", "NOPE"},
			`allot: service plan "NOPE" is not part of SPB, whose plans are `},
		{"SKU not held", s.env(), []string{"license", "assign", "--sku", "SPE_E3", "--user", "adele@contoso.example"},
			"allot: adele@contoso.example: License Microsoft 365 E3 (SPE_E3) does not correspond to a valid company License.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runEnv(t, tt.env, "", tt.args...)
			if got.code != 1 || got.stdout != "" || strings.Count(got.stderr, "\n") != 1 || !strings.HasPrefix(got.stderr, tt.wantErr) {
				t.Errorf("want exit 1, no stdout and the line %q\ngot %+v", tt.wantErr, got)
			}
		})
	}
	t.Run("ALLOT_URL with /v1.0", func(t *testing.T) {
		r := runEnv(t, map[string]string{envURL: s.url + "/v1.0/", envToken: s.token}, "", "skus")
		if r.code != 0 {
			t.Errorf("a Graph-style base URL is refused: %+v", r)
		}
	})
}
