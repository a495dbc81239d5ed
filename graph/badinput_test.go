package graph

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// badInput is one request of the bad-input corpus: it must be refused
// (a 4xx in Graph's envelope), or answered, without a 5xx and without
// writing anything.
type badInput struct {
	name, caller, method, path, body string
	header                           map[string]string
	// want is the status wanted, 0 for any 4xx.
	want int
	// absent must not appear in the answer.
	absent string
}

// badInputs is the corpus: the cases of issue 12's adversarial run, then
// malformed bodies, ids, query options and values for every kind of route.
func badInputs(f *fixture) []badInput {
	a := f.a
	target := a.users["target"].ID
	removeSame := `{"addLicenses":[],"removeLicenses":["` + strings.Repeat(skuE3+`","`, 32765) + skuE3 + `"]}`
	bulk40k := `{"users":["` + strings.Repeat(target+`","`, 39999) + target + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing"}`
	bulkOver := `{"users":["` + strings.Repeat(target+`","`, MaxBulkUsers) + target + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"dryRun"}`
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	user := "/v1.0/users/" + target
	assign := user + "/assignLicense"
	g, o, b := callerGlobal, callerOrdinary, callerBilling
	return []badInput{
		// Issue 12's cases.
		{name: "one SKU removed 32,766 times by a user", caller: o, method: "POST", path: "/v1.0/me/assignLicense", body: removeSame, want: 400},
		{name: "one SKU removed 32,766 times", caller: g, method: "POST", path: assign, body: removeSame, want: 400},
		{name: "40,000 bulk entries by a Billing Administrator", caller: b, method: "POST", path: "/api/bulkAssignLicense", body: bulk40k, want: 403},
		// A user may bulk-change the seats of their own self-service
		// purchases: the cap, checked before any database work, comes first.
		{name: "bulk over the user cap by an ordinary user", caller: o, method: "POST", path: "/api/bulkAssignLicense", body: bulkOver, want: 400},
		{name: "bulk over the user cap", caller: g, method: "POST", path: "/api/bulkAssignLicense", body: bulkOver, want: 400},
		{name: "userPrincipalName null", caller: g, method: "PATCH", path: user, body: `{"userPrincipalName":null}`, want: 400},
		{name: "userPrincipalName empty", caller: g, method: "PATCH", path: user, body: `{"userPrincipalName":""}`, want: 400},
		{name: "Host reflected in links", caller: g, method: "GET", path: "/v1.0/users?$top=1", header: map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example"}, want: 200, absent: "evil.example"},
		// Malformed bodies.
		{name: "truncated JSON", caller: g, method: "POST", path: assign, body: `{"addLicenses":[`},
		{name: "JSON array", caller: g, method: "POST", path: assign, body: `[]`},
		{name: "JSON null", caller: g, method: "POST", path: assign, body: `null`},
		{name: "JSON string", caller: g, method: "POST", path: "/v1.0/users", body: `"x"`},
		{name: "wrong type", caller: g, method: "POST", path: assign, body: `{"addLicenses":"E3","removeLicenses":[]}`},
		{name: "nesting 100,000 deep", caller: g, method: "POST", path: assign, body: deep},
		{name: "number out of range", caller: g, method: "PATCH", path: "/api/subscriptions/" + a.subs[skuE3].ID, body: `{"quantity":1e400}`},
		{name: "negative quantity", caller: g, method: "PATCH", path: "/api/subscriptions/" + a.subs[skuE3].ID, body: `{"quantity":-1}`},
		{name: "huge quantity", caller: g, method: "POST", path: "/api/subscriptions", body: `{"skuId":"` + skuNotOwned + `","quantity":100000000000000000000}`},
		{name: "invalid UTF-8", caller: g, method: "POST", path: assign, body: "{\"addLicenses\":[{\"skuId\":\"\xff\xfe\"}],\"removeLicenses\":[]}"},
		{name: "NUL in a name", caller: g, method: "PATCH", path: user, body: `{"displayName":"a\u0000b"}`},
		{name: "name of 100 kB", caller: g, method: "PATCH", path: user, body: `{"displayName":"` + strings.Repeat("x", 100000) + `"}`},
		{name: "unknown property", caller: g, method: "PATCH", path: user, body: `{"salary":1}`},
		{name: "accountEnabled as a string", caller: g, method: "PATCH", path: user, body: `{"accountEnabled":"yes"}`},
		{name: "unknown usage location", caller: g, method: "PATCH", path: user, body: `{"usageLocation":"ZZ"}`},
		{name: "user in another tenant's domain", caller: g, method: "POST", path: "/v1.0/users", body: `{"displayName":"X","userPrincipalName":"x@fabrikam.example","accountEnabled":true,"mailNickname":"x"}`},
		{name: "duplicate user", caller: g, method: "POST", path: "/v1.0/users", body: `{"displayName":"X","userPrincipalName":"target@contoso.example","accountEnabled":true,"mailNickname":"x"}`},
		{name: "SKU not a GUID", caller: g, method: "POST", path: assign, body: `{"addLicenses":[{"skuId":"E3"}],"removeLicenses":[]}`},
		{name: "unknown SKU", caller: g, method: "POST", path: assign, body: `{"addLicenses":[{"skuId":"` + skuUnknown + `"}],"removeLicenses":[]}`},
		{name: "unknown disabled plan", caller: g, method: "POST", path: assign, body: `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":["` + skuUnknown + `"]}],"removeLicenses":[]}`},
		{name: "add and remove the same SKU", caller: g, method: "POST", path: assign, body: `{"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":["` + skuE3 + `"]}`},
		{name: "gzip that is not", caller: g, method: "POST", path: assign, body: "not gzip", header: map[string]string{"Content-Encoding": "gzip"}},
		{name: "unknown encoding", caller: g, method: "POST", path: assign, body: assignBody, header: map[string]string{"Content-Encoding": "br"}},
		{name: "bulk mode unknown", caller: g, method: "POST", path: "/api/bulkAssignLicense", body: `{"users":["` + target + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"yolo"}`},
		{name: "bulk without users", caller: g, method: "POST", path: "/api/bulkAssignLicense", body: `{"users":[],"addLicenses":[{"skuId":"` + skuE3 + `"}]}`},
		{name: "bulk user not a GUID", caller: g, method: "POST", path: "/api/bulkAssignLicense", body: `{"users":["../x"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing"}`},
		{name: "token of negative lifetime", caller: g, method: "POST", path: "/api/tokens", body: `{"app":"X","roles":["license checker"],"ttl":"-1h"}`},
		{name: "token with an unknown role", caller: g, method: "POST", path: "/api/tokens", body: `{"app":"X","roles":["god"],"ttl":"1h"}`},
		{name: "role assignment of an unknown role", caller: g, method: "POST", path: "/v1.0/" + roleAssignmentsPath, body: `{"principalId":"` + target + `","roleDefinitionId":"` + skuUnknown + `","directoryScopeId":"/"}`},
		{name: "role assignment to another tenant's user", caller: g, method: "POST", path: "/v1.0/" + roleAssignmentsPath, body: `{"principalId":"` + f.b.users["target"].ID + `","roleDefinitionId":"` + allot.LicenseCheckerTemplateID + `","directoryScopeId":"/"}`},
		{name: "import of binary", caller: g, method: "POST", path: "/api/users/import", body: "\x00\x01\x02\xff", header: map[string]string{"Content-Type": "text/csv"}},
		{name: "import with a bad row only, atomic", caller: g, method: "POST", path: "/api/users/import?atomic=true", body: "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nx@contoso.example,X,ZZ,maybe,\n", header: map[string]string{"Content-Type": "text/csv"}, want: 200},
		{name: "restore a user not deleted", caller: g, method: "POST", path: "/v1.0/directory/deletedItems/" + target + "/restore"},
		// Ids and paths.
		{name: "id not a GUID", caller: g, method: "GET", path: "/v1.0/users/not-a-guid", want: 404},
		{name: "id of 10,000 characters", caller: g, method: "GET", path: "/v1.0/users/" + strings.Repeat("a", 10000), want: 404},
		{name: "escaped NUL in an id", caller: g, method: "DELETE", path: "/v1.0/users/%00"},
		{name: "dot segments", caller: g, method: "GET", path: "/v1.0/users/../../etc/passwd", want: 404},
		{name: "another tenant's user", caller: g, method: "DELETE", path: "/v1.0/users/" + f.b.users["target"].ID, want: 404},
		{name: "unknown method", caller: g, method: "TRACE", path: "/v1.0/users", want: 405},
		// Query options.
		{name: "$top negative", caller: g, method: "GET", path: "/v1.0/users?$top=-1", want: 400},
		{name: "$top too large", caller: g, method: "GET", path: "/v1.0/users?$top=99999999999999999999", want: 400},
		{name: "$filter garbage", caller: g, method: "GET", path: "/v1.0/users?$filter=%27%27%27)))(", want: 400},
		{name: "$filter nested 10,000 deep", caller: g, method: "GET", path: "/v1.0/users?$filter=" + strings.Repeat("(", 10000) + "accountEnabled%20eq%20true" + strings.Repeat(")", 10000), want: 400},
		{name: "$select unknown", caller: g, method: "GET", path: "/v1.0/users?$select=salary", want: 400},
		{name: "$skiptoken forged", caller: g, method: "GET", path: "/v1.0/users?$skiptoken=AAAA", want: 400},
		{name: "$count without eventual consistency", caller: g, method: "GET", path: "/v1.0/users/$count", want: 400},
		{name: "audit filter garbage", caller: g, method: "GET", path: "/v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%20yesterday", want: 400},
		{name: "check without a user", caller: g, method: "GET", path: "/api/check?servicePlan=" + planTeams, want: 400},
		{name: "check batch garbage", caller: g, method: "POST", path: "/api/check", body: `{"checks":"all"}`, want: 400},
		{name: "import dryRun not a boolean", caller: g, method: "POST", path: "/api/users/import?dryRun=perhaps", body: "userPrincipalName\n", want: 400},
	}
}

// stateOf is what a refused request must not change: the newest audit
// event, the seats and the users of both tenants.
func (f *fixture) stateOf(t *testing.T) map[string]any {
	t.Helper()
	ctx := context.Background()
	s := map[string]any{}
	for _, tf := range []*tenantFixture{f.a, f.b} {
		p := sys(tf.tenant.ID)
		events, err := f.db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 1})
		must(t, err)
		if len(events) > 0 {
			s[tf.tenant.Domain+" newest audit"] = events[0].ID
		}
		n, err := f.db.CountUsers(ctx, p, allot.UserFilter{})
		must(t, err)
		s[tf.tenant.Domain+" users"] = n
		s[tf.tenant.Domain+" seats"] = f.seatState(t, tf, tf.users["target"].ID)
	}
	return s
}

// TestBadInputCorpus replays the corpus: no 5xx, errors in Graph's
// envelope, nothing written.
func TestBadInputCorpus(t *testing.T) {
	f := newFixture(t, withIndex(t), withImports)
	for _, tt := range badInputs(f) {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stateOf(t)
			rq := request{method: tt.method, path: tt.path, token: f.a.tokens[tt.caller], header: tt.header}
			if tt.body != "" {
				rq.body = []byte(tt.body)
			}
			resp := f.do(t, rq)
			switch {
			case resp.status >= 500:
				t.Fatalf("status %d: %s", resp.status, short(resp.body))
			case tt.want != 0 && resp.status != tt.want:
				t.Errorf("status -want +got\n-%d\n+%d %s", tt.want, resp.status, short(resp.body))
			case tt.want == 0 && resp.status < 400:
				t.Errorf("status %d, want a refusal: %s", resp.status, short(resp.body))
			case resp.status >= 400:
				resp.envelope(t)
			}
			if tt.absent != "" && (strings.Contains(string(resp.body), tt.absent) || strings.Contains(resp.header.Get("Location"), tt.absent)) {
				t.Errorf("the answer holds %q: %s", tt.absent, short(resp.body))
			}
			if d := diff(before, f.stateOf(t)); d != "" {
				t.Errorf("a refused request changed state (-before +after):\n%s", d)
			}
		})
	}
}

// TestMalformedHTTP sends what net/http itself refuses before any handler
// runs: it answers 400 in plain text, which allot cannot put in Graph's
// envelope (docs/reliability.md), and never a 5xx.
func TestMalformedHTTP(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	for _, tt := range []struct{ name, raw string }{
		{"bad percent escape", "GET /v1.0/users/%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"bad protocol", "GET /v1.0/users HTTP/9.9\r\nHost: x\r\n\r\n"},
		{"header without colon", "GET /v1.0/users HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n"},
		{"two Content-Lengths", "POST /v1.0/users HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"},
		{"no Host", "GET /v1.0/users HTTP/1.1\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			must(t, err)
			defer conn.Close()
			_, err = conn.Write([]byte(tt.raw))
			must(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusHTTPVersionNotSupported && resp.StatusCode != http.StatusNotFound {
				t.Errorf("status %d, want a 4xx (or 505 for the protocol)", resp.StatusCode)
			}
		})
	}
}
