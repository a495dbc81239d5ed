package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of "allot serve" itself: shutdown, logs, rate limits,
// license checks and PostgreSQL. See e2e_test.go for the harness.

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustRun(t, "skus")
	start := time.Now()
	s.stop(t)
	t.Logf("stopped in %s", time.Since(start))
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Errorf("the server still answers after it stopped")
	}
	if log := s.stderr.String(); !strings.Contains(log, "shutting down") || !strings.Contains(log, "msg=stopped") {
		t.Errorf("the log does not say it stopped:\n%s", log)
	}
}

func TestServeLogFormat(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--log-format", "json")
	s.mustRun(t, "skus")
	var sawRequest bool
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		sawRequest = sawRequest || rec["msg"] == "request" && rec["route"] == "/v1.0/subscribedSkus"
	}
	if !sawRequest {
		t.Errorf("no JSON log line for GET /v1.0/subscribedSkus:\n%s", s.stderr)
	}
}

func TestServeRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--rate-limit", "0.001", "--rate-burst", "1")
	s.mustRun(t, "skus")
	// The next request waits for Retry-After, longer than the test wants
	// to; an interrupted command stops at once.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var stdout, stderr strings.Builder
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(k string) string { return s.env()[k] }
	if code := m.Execute(ctx, []string{"skus"}); code != 1 || stderr.String() != "allot: interrupted\n" {
		t.Errorf("throttled skus: exit %d, stderr %q; want 1 and 'allot: interrupted'", code, stderr.String())
	}
}

// licenseCheck asks the server's license-check API whether the user may
// use the service plan.
func licenseCheck(t *testing.T, s *testServer, user, plan string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/api/check?user="+user+"&servicePlan="+plan, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/check: %s, %v", resp.Status, err)
	}
	return got
}

// TestLicenseCheckAPI checks that serve wires the license-check index and
// keeps it in step with the changes made through the API.
func TestLicenseCheckAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	if got := licenseCheck(t, s, "adele@contoso.example", "TEAMS1"); got["licensed"] != true || got["reason"] != "Licensed" {
		t.Errorf("adele may use Teams through Business Premium; the check says %v", got)
	}
	s.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", "adele@contoso.example")
	if got := licenseCheck(t, s, "adele@contoso.example", "TEAMS1"); got["licensed"] != false || got["reason"] != "NoLicense" {
		t.Errorf("after the unassign, the check says %v; want NoLicense", got)
	}
}

// TestServePostgres runs two servers on one PostgreSQL database, as
// operators scale out: a change made through one reaches the other's
// license checks.
func TestServePostgres(t *testing.T) {
	t.Parallel()
	url := postgresDSN(t)
	a := startServer(t, "--db", url)
	b := startServer(t, "--db", url)
	if re := skuRow("Microsoft 365 Business Premium", "SPB", "13", "11", "2"); !re.MatchString(b.mustRun(t, "skus")) {
		t.Errorf("skus on the second server does not match %s", re)
	}
	if got := licenseCheck(t, b, "adele@contoso.example", "TEAMS1"); got["licensed"] != true {
		t.Fatalf("before the change, the check says %v", got)
	}
	a.mustRun(t, "license", "unassign", "--sku", "SPB", "--user", "adele@contoso.example")
	for deadline := time.Now().Add(5 * time.Second); ; {
		got := licenseCheck(t, b, "adele@contoso.example", "TEAMS1")
		if got["reason"] == "NoLicense" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5s after an unassign through one server, the other's check still says %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
