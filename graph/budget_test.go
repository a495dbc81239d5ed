package graph

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestLongLists checks the refusals of lists longer than their caps: a
// 400 naming the cap, before any database work, and nothing changed.
func TestLongLists(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u := f.freshUser(t, a)
	removeSame := `{"addLicenses":[],"removeLicenses":["` + strings.Repeat(skuE3+`","`, 32765) + skuE3 + `"]}`
	users := `{"users":["` + strings.Repeat(u.ID+`","`, MaxBulkUsers) + u.ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}]}`
	tests := []struct {
		name, caller, path, body string
		wantStatus               int
		wantMsg                  string
	}{
		{"one SKU 32,766 times, by a user", callerOrdinary, "/v1.0/me/assignLicense", removeSame, 400, "listed twice"},
		{"one SKU 32,766 times, by an administrator", callerGlobal, "/v1.0/users/" + u.ID + "/assignLicense", removeSame, 400, "listed twice"},
		{"one SKU 32,766 times in bulk", callerBilling, "/api/bulkAssignLicense", `{"users":["` + u.ID + `"],` + removeSame[1:], 400, "listed twice"},
		{"users over the cap", callerGlobal, "/api/bulkAssignLicense", users, 400, fmt.Sprintf("limit of %d", MaxBulkUsers)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.seatState(t, a, u.ID)
			resp := f.send(t, a, tt.caller, "POST", tt.path, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d %.300s", tt.wantStatus, resp.status, resp.body)
			}
			if e := resp.envelope(t); !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("message -want +got\n-…%s…\n+%s", tt.wantMsg, e.Error.Message)
			}
			if d := diff(before, f.seatState(t, a, u.ID)); d != "" {
				t.Errorf("a refused request changed state (-before +after):\n%s", d)
			}
		})
	}
}

// countingBody is a request body that counts the bytes read from it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

// TestBulkBodyRefusedUnread checks that a bulk body larger than the limits
// is not read for a caller who cannot use it: without a token, an
// application without a license role (403), a user who is no license
// administrator (413 at the ordinary limit, from Content-Length alone);
// a license administrator's is read up to the bulk limit.
func TestBulkBodyRefusedUnread(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.MaxBodyBytes, o.MaxBulkBodyBytes = 1000, 4000 })
	app, _ := appToken(t, f, "Reader app", allot.RoleGlobalReader)
	tests := []struct {
		name, token string
		size        int
		wantStatus  int
		wantRead    bool
	}{
		{"no token", "", 10_000, 401, false},
		{"application without a license role", app, 10_000, 403, false},
		{"ordinary user over the ordinary limit", f.a.tokens[callerOrdinary], 2000, 413, false},
		{"billing administrator over the ordinary limit", f.a.tokens[callerBilling], 2000, 413, false},
		{"license administrator under the bulk limit", f.a.tokens[callerLicense], 2000, 400, true},
		{"license administrator over the bulk limit", f.a.tokens[callerLicense], 10_000, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"users":["` + strings.Repeat("x", tt.size) + `"]}`
			body := &countingBody{r: strings.NewReader(raw)}
			r := httptest.NewRequest("POST", "http://allot.test/api/bulkAssignLicense", body)
			r.ContentLength = int64(len(raw))
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			f.srv.Handler().ServeHTTP(w, r)
			if got := (wantRead{w.Code, body.read.Load() > 0}); got != (wantRead{tt.wantStatus, tt.wantRead}) {
				t.Errorf("status, body read -want +got\n-%+v\n+%+v %s", wantRead{tt.wantStatus, tt.wantRead}, got, w.Body)
			}
		})
	}
}

// wantRead is a status and whether the body was read.
type wantRead struct {
	Status int
	Read   bool
}

// TestBulkBudget checks that the bulk requests beyond MaxBulkRequests
// running at once, license changes and imports alike, are refused with
// 503 and Retry-After in Graph's envelope, and that a finished request
// frees its slot.
func TestBulkBudget(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.MaxBulkRequests = 1 })
	a := f.a
	u := f.freshUser(t, a)
	body := `{"users":["` + u.ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"dryRun":true}`
	pr, pw := io.Pipe()
	r := httptest.NewRequest("POST", "http://allot.test/api/bulkAssignLicense", pr)
	r.Header.Set("Authorization", "Bearer "+a.tokens[callerGlobal])
	first := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { defer close(done); f.srv.Handler().ServeHTTP(first, r) }()
	for deadline := time.Now().Add(5 * time.Second); len(f.srv.limits.bulk) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first bulk request never took its slot")
		}
	}
	for _, path := range []string{"/api/bulkAssignLicense", "/api/users/import"} {
		resp := f.send(t, a, callerGlobal, "POST", path, body)
		if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") != "5" {
			t.Errorf("%s beyond the budget: status, Retry-After -want +got\n-503 5\n+%d %q %s", path, resp.status, resp.header.Get("Retry-After"), resp.body)
			continue
		}
		if e := resp.envelope(t); e.Error.Code != codeServiceUnavailable || !strings.Contains(e.Error.Message, "bulk requests") {
			t.Errorf("%s beyond the budget: error %+v", path, e.Error)
		}
	}
	io.WriteString(pw, body)
	pw.Close()
	<-done
	if first.Code != http.StatusOK {
		t.Fatalf("the first bulk request: %d %s", first.Code, first.Body)
	}
	if resp := f.send(t, a, callerGlobal, "POST", "/api/bulkAssignLicense", body); resp.status != http.StatusOK {
		t.Errorf("after the first finished: status -want +got\n-200\n+%d %s", resp.status, resp.body)
	}
}

// TestBulkResponseStreamed checks that the streamed answer is one JSON
// document of the BulkResponse shape with its counts.
func TestBulkResponseStreamed(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u1, u2 := f.freshUser(t, a), f.freshUser(t, a)
	resp := f.send(t, a, callerLicense, "POST", "/api/bulkAssignLicense",
		`{"users":["`+u1.ID+`","nobody@contoso.example","`+u2.ID+`"],"addLicenses":[{"skuId":"`+skuE3+`"}],"dryRun":true}`)
	var got BulkResponse
	dec := json.NewDecoder(strings.NewReader(string(resp.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil || dec.More() || resp.status != http.StatusOK {
		t.Fatalf("answer %d, %v: %s", resp.status, err, resp.body)
	}
	want := BulkResponse{Results: []BulkResult{{User: u1.ID, ID: u1.ID, Changed: true}, {User: "nobody@contoso.example"}, {User: u2.ID, ID: u2.ID, Changed: true}},
		Changed: 2, Failed: 1, DryRun: true}
	if got.Results[1].Error == nil || got.Results[1].Error.Code != codeNotFound {
		t.Errorf("the unknown user's error: %+v", got.Results[1].Error)
	}
	got.Results[1].Error = nil
	for _, i := range []int{0, 2} { // a dry run says what would happen to the data
		if d := got.Results[i].Data; d == nil || d.Summary != "mailbox provisioned; files provisioned; searchable from now" {
			t.Errorf("user %d's data: %+v", i, d)
		}
		got.Results[i].Data = nil
	}
	if s := got.DataSummary; s == nil || s.Summary != "2 users: 2 mailboxes provisioned" {
		t.Errorf("data summary: %+v", s)
	}
	got.DataSummary = nil
	if d := diff(want, got); d != "" {
		t.Errorf("answer (-want +got):\n%s", d)
	}
}

// TestSlowBody checks that a client sending its headers and then
// dripping its body is disconnected within the body deadline, with or
// without a token, and on the bulk route within the bulk one.
func TestSlowBody(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) {
		o.BodyTimeout, o.BulkBodyTimeout = 200*time.Millisecond, 600*time.Millisecond
	})
	ts := httptest.NewUnstartedServer(f.srv.Handler())
	f.srv.ConfigureHTTP(ts.Config)
	ts.Start()
	t.Cleanup(ts.Close)
	tests := []struct {
		name, path, token string
		min, max          time.Duration
	}{
		{"license check, which has no timer of its own", "/api/check", f.a.tokens[callerOrdinary], 150 * time.Millisecond, 2 * time.Second},
		{"no token", "/v1.0/me/assignLicense", "", 0, 2 * time.Second},
		{"bad token", "/v1.0/me/assignLicense", "nope", 0, 2 * time.Second},
		{"no token on the bulk route", "/api/bulkAssignLicense", "", 0, 2 * time.Second},
		{"authenticated", "/v1.0/me/assignLicense", f.a.tokens[callerOrdinary], 150 * time.Millisecond, 2 * time.Second},
		{"bulk, license administrator", "/api/bulkAssignLicense", f.a.tokens[callerLicense], 550 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := drip(t, ts.Listener.Addr().String(), tt.path, tt.token, tt.max+5*time.Second); got < tt.min || got > tt.max {
				t.Errorf("disconnected after %v, want between %v and %v", got, tt.min, tt.max)
			}
		})
	}
}

// drip sends a request's headers and then its body a byte every 20 ms, and
// returns how long the server took to close the connection (limit if it
// did not).
func drip(t *testing.T, addr, path, token string, limit time.Duration) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST " + path + " HTTP/1.1\r\nHost: allot.test\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	start := time.Now()
	if _, err := io.WriteString(conn, head+"\r\n{"); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range 10000 {
			time.Sleep(20 * time.Millisecond)
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(start.Add(limit))
	io.Copy(io.Discard, bufio.NewReader(conn)) // until the server closes
	return time.Since(start)
}

// slowLicenses is the store's license service taking pause before every
// bulk change and failing if the request's context ended meanwhile.
type slowLicenses struct {
	allot.LicenseService
	pause time.Duration
}

func (s slowLicenses) AssignLicensesBulk(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange) ([]allot.BulkResult, error) {
	time.Sleep(s.pause)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.LicenseService.AssignLicensesBulk(ctx, p, b)
}

// slowSubscriptions is the store's subscription service taking pause
// before listing subscribedSkus and failing if the request's context ended
// meanwhile.
type slowSubscriptions struct {
	allot.SubscriptionService
	pause time.Duration
}

func (s slowSubscriptions) FindSubscribedSKUs(ctx context.Context, p allot.Principal) ([]*allot.SubscribedSKU, error) {
	time.Sleep(s.pause)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.SubscriptionService.FindSubscribedSKUs(ctx, p)
}

// slowChecks answers every license check NoLicense after pause, or the
// error of the request's context if it ended meanwhile.
type slowChecks struct{ pause time.Duration }

func (s slowChecks) Check(ctx context.Context, p allot.Principal, reqs []allot.CheckRequest) ([]allot.CheckResult, error) {
	time.Sleep(s.pause)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []allot.CheckResult{{User: reqs[0].User, Reason: "NoLicense"}}, nil
}

// TestSlowWorkAfterBody checks that the body deadline ends with the body,
// or at once when there is none: a request whose work outlasts it is
// answered, and one that outlasts its overall deadline is not, but for the
// in-memory license check, which has no context deadline and is bounded by
// the write deadline only (overall deadline plus writeSlack).
func TestSlowWorkAfterBody(t *testing.T) {
	const pause = 500 * time.Millisecond
	tests := []struct {
		name       string
		bulk       bool
		path       string
		total      time.Duration
		wantStatus int
	}{
		{"bulk work past the body deadline", true, "", time.Minute, http.StatusOK},
		{"bulk work past the overall deadline", true, "", 200 * time.Millisecond, http.StatusServiceUnavailable},
		{"no body, work past the body deadline", false, "/v1.0/subscribedSkus", time.Minute, http.StatusOK},
		{"no body, work past the overall deadline", false, "/v1.0/subscribedSkus", 200 * time.Millisecond, http.StatusServiceUnavailable},
		{"license check past the overall deadline, within the write deadline", false, "/api/check?user=x@contoso.example&servicePlan=TEAMS1", 200 * time.Millisecond, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options, s *Services) {
				o.BodyTimeout, o.BulkBodyTimeout, o.RequestTimeout, o.BulkTimeout = 100*time.Millisecond, 100*time.Millisecond, tt.total, tt.total
				s.Licenses = slowLicenses{LicenseService: s.Licenses, pause: pause}
				s.Subscriptions = slowSubscriptions{SubscriptionService: s.Subscriptions, pause: pause}
				s.Checks = slowChecks{pause: pause}
			})
			ts := httptest.NewUnstartedServer(f.srv.Handler())
			f.srv.ConfigureHTTP(ts.Config)
			ts.Start()
			defer ts.Close()
			r, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			if tt.bulk {
				u := f.freshUser(t, f.a)
				body := `{"users":["` + u.ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"dryRun":true}`
				r, _ = http.NewRequest("POST", ts.URL+"/api/bulkAssignLicense", strings.NewReader(body))
			}
			r.Header.Set("Authorization", "Bearer "+f.a.tokens[callerLicense])
			resp, err := ts.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("status -want +got\n-%d\n+%d %s", tt.wantStatus, resp.StatusCode, b)
			}
		})
	}
}

// TestLargestBulkBodyFits checks that a bulk request listing the most
// users a request takes, each with a userPrincipalName of the longest
// length allowed, fits the bulk body limit and decodes.
func TestLargestBulkBodyFits(t *testing.T) {
	f := newFixture(t)
	upn := strings.Repeat("a", 113-len("@contoso.example")) + "@contoso.example"
	if err := allot.ValidateUPN(upn); err != nil {
		t.Fatalf("the longest UPN: %v", err)
	}
	users := make([]string, MaxBulkUsers)
	for i := range users {
		users[i] = upn
	}
	raw, err := json.Marshal(BulkRequest{Users: users, RemoveLicenses: []string{skuE3}})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw)) > f.srv.maxBulk {
		t.Fatalf("%d users of %d characters take %d bytes, over the bulk limit of %d", MaxBulkUsers, len(upn), len(raw), f.srv.maxBulk)
	}
	if b, err := decodeBulkChange(raw); err != nil || len(b.Users) != MaxBulkUsers {
		t.Errorf("decoding the largest body: %d users, %v", len(b.Users), err)
	}
}

// countingWriter is a ResponseWriter that counts the bytes written and
// keeps none.
type countingWriter struct {
	h http.Header
	n int
}

func (d *countingWriter) Header() http.Header         { return d.h }
func (d *countingWriter) WriteHeader(int)             {}
func (d *countingWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// TestBulkResponseNotHeldWhole checks that the bulk answer is streamed:
// writing the answer of 20,000 users allocates far less than the answer's
// size, where building it whole took more than the answer itself.
func TestBulkResponseNotHeldWhole(t *testing.T) {
	if raceDetector {
		t.Skip("allocations are not counted under -race")
	}
	f := newFixture(t)
	results := make([]allot.BulkResult, 20_000)
	for i := range results {
		results[i] = allot.BulkResult{User: fmt.Sprintf("user%06d@contoso.example", i), UserID: "6fd2c87f-b296-42f0-b197-1e91e994b900", Changed: true}
	}
	r := httptest.NewRequest("POST", "/api/bulkAssignLicense", nil)
	w := &countingWriter{h: http.Header{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f.srv.writeBulkResponse(w, r, allot.BulkLicenseChange{DryRun: true}, results)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(w.n)/4 {
		t.Errorf("writing a %d-byte answer allocated %d bytes, want at most a quarter of it", w.n, alloc)
	}
}
