package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/allot-project/allot/internal/loadgen"
)

// This file holds W13, the admin center's pages, read from "allot serve"
// by a signed-in administrator the way a browser does.

// benchPage is one page W13 renders, and a text its answer must hold.
type benchPage struct {
	name, path, want string
}

// w13Pages returns W13's pages: Licenses, the popular product's users,
// Active users page 1 and a deep page (keyset, after half the users).
func (env *benchEnv) w13Pages() []benchPage {
	sku := env.d.skuIDs[benchSKUPopular]
	first := 0
	for first < len(env.d.users) && !env.d.users[first].holds(benchSKUPopular) {
		first++
	}
	deep := len(env.d.users) / 2
	return []benchPage{
		{"licenses", "/licenses", fmt.Sprintf("Bench Product %03d", benchSKUPopular)},
		{"product", "/licenses/" + strings.ToLower(sku), env.d.upn(first)},
		{"users", "/users", env.d.upn(1)},
		{"users-deep", "/users?after=" + url.QueryEscape(env.d.users[deep].id()), env.d.upn(deep + 1)},
	}
}

// w13 is the admin pages: each page in a closed loop of 2 connections
// against "allot serve", signed in as the big tenant's administrator;
// every answer must be the page (not the sign-in form) and hold its text.
func (env *benchEnv) w13(ctx context.Context) ([]*benchResult, error) {
	p, err := env.readServer(ctx)
	if err != nil {
		return nil, err
	}
	cookie, err := benchSignIn(ctx, p.base, env.d.adminUPN, benchPassword)
	if err != nil {
		return nil, err
	}
	c := loadgen.NewClient(2, http.Header{"Cookie": {cookie}})
	c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer c.Close()
	var out []*benchResult
	for _, pg := range env.w13Pages() {
		r := &benchResult{Workload: "W13/" + pg.name, Correct: true, Target: "p99 ≤ 50 ms (server time at the client, loopback)"}
		get := benchPageOp(c, p.base, pg)
		if err := get(ctx, nil); err != nil { // checked once whatever the load measures
			r.fail("%v", err)
		}
		res := loadgen.Closed{Workers: 2, Duration: env.c.duration, Warmup: env.c.warmup(), Seed: 15}.Run(ctx, get)
		r.setLatency(res)
		benchNoteErr(r, res)
		if res.Errors > 0 {
			r.fail("%d of %d answers were not the page: %v", res.Errors, res.Ops, res.FirstErr)
		}
		r.Met = r.P99 <= 50 && r.Errors == 0 && benchMeasured(r, res)
		r.note("GET %s signed in as %s, closed loop of 2 connections, %d users", pg.path, env.d.adminUPN, len(env.d.users))
		out = append(out, r)
	}
	return out, nil
}

// benchPageOp returns the operation of W13 on page pg: one GET, which
// must answer the page holding pg.want.
func benchPageOp(c *loadgen.Client, base string, pg benchPage) loadgen.Op {
	want := []byte(pg.want)
	return func(ctx context.Context, _ *loadgen.Worker) error {
		status, body, err := c.Do(ctx, http.MethodGet, base+pg.path, nil)
		if err != nil {
			return err
		}
		if err := loadgen.Expect(status, body, http.StatusOK); err != nil {
			return fmt.Errorf("GET %s: %w", pg.path, err)
		}
		if !bytes.Contains(body, want) {
			return fmt.Errorf("GET %s: the page does not show %q", pg.path, pg.want)
		}
		return nil
	}
}

// benchMeasured reports whether a closed loop completed any request in
// its measured window, and notes it in r when none did (each took longer
// than the warm-up and the duration): such a line has no latencies.
func benchMeasured(r *benchResult, res *loadgen.Result) bool {
	if res.Ops > 0 {
		return true
	}
	r.note("no request completed in the measured window: each took longer than the warm-up and the duration")
	return false
}

// benchCSRF finds the sign-in form's CSRF value.
var benchCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// benchSignIn signs in on base like a browser (the form, its CSRF cookie
// and field, then the POST) and returns the session's Cookie header.
func benchSignIn(ctx context.Context, base, username, password string) (string, error) {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/signin", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := benchCSRF.FindSubmatch(body)
	if err != nil || m == nil {
		return "", fmt.Errorf("GET /signin: %d, no CSRF field (%v)", resp.StatusCode, err)
	}
	form := url.Values{"username": {username}, "password": {password}, "csrf": {string(m[1])}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = c.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "allot_session" && ck.Value != "" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("POST /signin as %s: %d without a session cookie", username, resp.StatusCode)
}
