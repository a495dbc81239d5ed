package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/graph"
)

// These tests put a fake server at the HTTP boundary, for what the demo
// tenant cannot show: several pages, servers that refuse a filter or fail
// half-way, thousands of users, throttling.

// fakeServer records the requests it gets and answers them with handle.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*recorded
}

type recorded struct {
	method, path, rawQuery string
	query                  map[string]string
	header                 http.Header
	body                   []byte
}

func newFakeServer(t *testing.T, handle func(w http.ResponseWriter, r *recorded)) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := &recorded{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, query: map[string]string{}, header: r.Header, body: body}
		for k, v := range r.URL.Query() {
			rec.query[k] = v[0]
		}
		if !(r.Method == "GET" && r.URL.Path == "/v1.0/subscribedSkus" && r.URL.Query().Get("$select") == skuSelect) {
			f.mu.Lock()
			f.reqs = append(f.reqs, rec)
			f.mu.Unlock()
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			graphErr(w, 401, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		if r.Method == "GET" && r.URL.Path == "/v1.0/subscribedSkus" && handleSKUs(w, r) {
			return // the CLI learning the catalog, not what the test asks about
		}
		handle(w, rec)
	}))
	t.Cleanup(f.Close)
	return f
}

// skuSelect is the $select of the CLI's requests for the catalog.
const skuSelect = "skuId,skuPartNumber,servicePlans"

// handleSKUs answers the CLI's request for the catalog with the demo
// catalog's SKUs, as a server started without --catalog would; it leaves
// other requests of subscribedSkus to the test.
func handleSKUs(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Query().Get("$select") != skuSelect {
		return false
	}
	var skus []map[string]any
	for _, s := range allot.DemoCatalog().SKUs {
		var plans []map[string]string
		for _, p := range s.Plans {
			plans = append(plans, map[string]string{"servicePlanId": p.ID, "servicePlanName": p.Name})
		}
		skus = append(skus, map[string]any{"skuId": s.ID, "skuPartNumber": s.PartNumber, "servicePlans": plans})
	}
	reply(w, 200, map[string]any{"value": skus})
	return true
}

func (f *fakeServer) requests() []*recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeServer) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runEnv(t, map[string]string{envURL: f.URL, envToken: "tok"}, stdin, args...)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func graphErr(w http.ResponseWriter, status int, code, msg string, details ...map[string]string) {
	e := map[string]any{"code": code, "message": msg}
	if details != nil {
		e["details"] = details
	}
	reply(w, status, map[string]any{"error": e})
}

func userJSON(upn string) map[string]any {
	return map[string]any{"id": "id-" + upn, "userPrincipalName": upn, "displayName": upn, "accountEnabled": true,
		"usageLocation": "US", "assignedLicenses": []any{}}
}

func TestUsersListPages(t *testing.T) {
	var f *fakeServer
	f = newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		switch r.query["$skiptoken"] {
		case "":
			reply(w, 200, map[string]any{"value": []any{userJSON("a@x.example"), userJSON("b@x.example")},
				"@odata.nextLink": f.URL + "/v1.0/users?" + r.rawQuery + "&$skiptoken=2"})
		case "2":
			reply(w, 200, map[string]any{"value": []any{userJSON("c@x.example")}})
		}
	})
	r := f.run(t, "", "users", "list", "--unlicensed")
	if got, want := column(r.stdout), []string{"a@x.example", "b@x.example", "c@x.example"}; r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("users list over two pages: want %v, got %+v", want, r)
	}
	first := f.requests()[0]
	wantQuery := map[string]string{"$filter": "assignedLicenses/$count eq 0", "$count": "true", "$top": "999", "$select": userListSelect}
	if !mapsEqual(first.query, wantQuery) || first.header.Get("ConsistencyLevel") != "eventual" {
		t.Errorf("first request: query %v, ConsistencyLevel %q; want %v and eventual", first.query, first.header.Get("ConsistencyLevel"), wantQuery)
	}
	if strings.Contains(first.rawQuery, "%24") || strings.Contains(first.rawQuery, "+") {
		t.Errorf("query %q: want literal $ names and %%20 for spaces, as Graph SDKs send", first.rawQuery)
	}
	r = f.run(t, "", "users", "list", "--limit", "2")
	if got := column(r.stdout); len(got) != 2 || len(f.requests()) != 3 {
		t.Errorf("--limit 2: want 2 users from one request, got %v after %d requests", got, len(f.requests()))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestNextLinkElsewhere(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		reply(w, 200, map[string]any{"value": []any{userJSON("a@x.example")}, "@odata.nextLink": "http://evil.example/v1.0/users?$skiptoken=2"})
	})
	r := f.run(t, "", "users", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to send the token there") {
		t.Errorf("a nextLink to another host: want exit 1 and a refusal, got %+v", r)
	}
}

func TestRestoreWithoutServerFilter(t *testing.T) {
	var f *fakeServer
	f = newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		switch {
		case r.method == "GET" && r.query["$filter"] != "":
			graphErr(w, 400, "Request_UnsupportedQuery", "Filtering deleted users is not supported.")
		case r.method == "GET" && r.query["$skiptoken"] == "":
			reply(w, 200, map[string]any{"value": []any{map[string]any{"id": "11111111-1111-1111-1111-111111111111", "userPrincipalName": "other@x.example"}},
				"@odata.nextLink": f.URL + deletedURL + "?$skiptoken=2"})
		case r.method == "GET":
			reply(w, 200, map[string]any{"value": []any{map[string]any{"id": "22222222-2222-2222-2222-222222222222", "userPrincipalName": "Bob@x.example"}}})
		case r.method == "POST" && r.path == "/v1.0/directory/deletedItems/22222222-2222-2222-2222-222222222222/restore":
			reply(w, 200, map[string]any{"@odata.type": "#microsoft.graph.user", "id": "22222222-2222-2222-2222-222222222222", "userPrincipalName": "Bob@x.example"})
		default:
			graphErr(w, 404, "Request_ResourceNotFound", "no such thing: "+r.method+" "+r.path)
		}
	})
	want := result{0, "restored Bob@x.example with its licenses\n", ""}
	if got := f.run(t, "", "users", "restore", "bob@x.example"); got != want {
		t.Errorf("users restore:\nwant %+v\ngot  %+v", want, got)
	}
	if q := f.requests()[0].query["$filter"]; q != "userPrincipalName eq 'bob@x.example'" {
		t.Errorf("first request's $filter = %q", q)
	}
}

// bulkFake answers the bulk endpoint: every user changed except those
// named in fail, which fail with CountViolation, and chunk number
// breakAt (from 1), which gets a 500.
func bulkFake(t *testing.T, fail []string, breakAt int) *fakeServer {
	n := 0
	return newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		if r.path != client.BulkPath {
			graphErr(w, 404, "UnknownError", "Resource not found for the segment 'x'.")
			return
		}
		var req graph.BulkRequest
		if err := json.Unmarshal(r.body, &req); err != nil {
			t.Errorf("bulk body: %v", err)
		}
		if n++; n == breakAt {
			graphErr(w, 500, "InternalServerError", "Internal error.")
			return
		}
		resp := graph.BulkResponse{DryRun: req.DryRun, Results: []graph.BulkResult{}}
		for _, u := range req.Users {
			if slices.Contains(fail, u) {
				if req.Mode == "allOrNothing" {
					graphErr(w, 400, "Request_BadRequest", "Subscription with SKU s does not have any available licenses.",
						map[string]string{"code": "CountViolation", "message": "Subscription with SKU s does not have any available licenses.", "target": u})
					return
				}
				resp.Results = append(resp.Results, graph.BulkResult{User: u, Error: &graph.BulkError{Code: "CountViolation", Message: "Subscription with SKU s does not have any available licenses."}})
				resp.Failed++
				continue
			}
			resp.Results = append(resp.Results, graph.BulkResult{User: u, ID: "id-" + u, Changed: true})
			resp.Changed++
		}
		reply(w, 200, resp)
	})
}

// manyUsers returns n UPNs, one per line.
func manyUsers(n int) (list []string, file string) {
	for i := range n {
		list = append(list, fmt.Sprintf("user%04d@x.example", i))
	}
	return list, strings.Join(list, "\n") + "\n"
}

// bulkBodies decodes the bulk requests a fake server got.
func bulkBodies(t *testing.T, f *fakeServer) []graph.BulkRequest {
	t.Helper()
	var out []graph.BulkRequest
	for _, r := range f.requests() {
		var req graph.BulkRequest
		if err := json.Unmarshal(r.body, &req); err != nil {
			t.Fatal(err)
		}
		out = append(out, req)
	}
	return out
}

func TestBulkChunks(t *testing.T) {
	users, file := manyUsers(2500)
	tests := []struct {
		name       string
		args       []string
		fail       []string
		breakAt    int
		want       result
		wantSizes  []int
		wantMode   string
		wantDryRun bool
	}{
		{"per user in chunks", nil, nil, 0,
			result{0, "assigned Microsoft 365 Business Premium to 2500 users\n", ""}, []int{1000, 1000, 500}, "perUser", false},
		{"failures", nil, []string{users[10], users[2400]}, 0,
			result{1, "assigned Microsoft 365 Business Premium to 2498 users; 2 failed\n",
				"allot: " + users[10] + ": Subscription with SKU s does not have any available licenses.\n" +
					"allot: " + users[2400] + ": Subscription with SKU s does not have any available licenses.\n"},
			[]int{1000, 1000, 500}, "perUser", false},
		{"a chunk fails whole", nil, nil, 3,
			result{1, "assigned Microsoft 365 Business Premium to 2000 users\n", "allot: Internal error.; the last 500 users were not processed\n"},
			[]int{1000, 1000, 500}, "perUser", false},
		{"atomic in one request", []string{"--atomic"}, nil, 0,
			result{0, "assigned Microsoft 365 Business Premium to 2500 users\n", ""}, []int{2500}, "allOrNothing", false},
		{"atomic refused", []string{"--atomic"}, []string{users[7]}, 0,
			result{1, "nothing assigned: --atomic refused the whole change because of the failure above\n",
				"allot: " + users[7] + ": Subscription with SKU s does not have any available licenses.\n"},
			[]int{2500}, "allOrNothing", false},
		{"dry run in one request", []string{"--dry-run", "-o", "json"}, nil, 0,
			result{0, "", ""}, []int{2500}, "perUser", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := bulkFake(t, tt.fail, tt.breakAt)
			got := f.run(t, file, append([]string{"license", "assign", "--sku", "SPB", "--users-from", "-"}, tt.args...)...)
			if tt.wantDryRun {
				var doc graph.BulkResponse
				if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || len(doc.Results) != 2500 || doc.Changed != 2500 || !doc.DryRun {
					t.Errorf("dry run JSON: want 2500 results, all changed, dryRun; got %v %.200s", err, got.stdout)
				}
				got.stdout = ""
			}
			if got != tt.want {
				t.Errorf("want %+v\ngot  %+v", tt.want, got)
			}
			var sizes []int
			for _, req := range bulkBodies(t, f) {
				sizes = append(sizes, len(req.Users))
				if req.Mode != tt.wantMode || req.DryRun != tt.wantDryRun || !req.SkipUnchanged ||
					len(req.AddLicenses) != 1 || req.AddLicenses[0].SKUID != "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" || req.RemoveLicenses == nil {
					t.Errorf("bulk request %+v: want mode %s, dryRun %v, skipUnchanged, SPB added, removeLicenses []", req, tt.wantMode, tt.wantDryRun)
					break
				}
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("users per request %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestBulkUnassignBody(t *testing.T) {
	f := bulkFake(t, nil, 0)
	r := f.run(t, "", "license", "unassign", "--sku", "ENTERPRISEPACK", "--user", "a@x.example,b@x.example", "--user", "A@x.example")
	if want := (result{0, "unassigned Office 365 E3 from 2 users\n", ""}); r != want {
		t.Errorf("want %+v\ngot  %+v", want, r)
	}
	reqs := bulkBodies(t, f)
	if len(reqs) != 1 || !slices.Equal(reqs[0].Users, []string{"a@x.example", "b@x.example"}) ||
		len(reqs[0].AddLicenses) != 0 || reqs[0].AddLicenses == nil || !slices.Equal(reqs[0].RemoveLicenses, []string{"6fd2c87f-b296-42f0-b197-1e91e994b900"}) {
		t.Errorf("unassign request %+v: want the two users once each, addLicenses [] and E3 removed", reqs)
	}
}

func TestAssignOneBody(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		reply(w, 200, userJSON("a@x.example"))
	})
	if r := f.run(t, "", "license", "assign", "--sku", "SPB", "--user", "a@x.example", "--disable-plan", "teams1", "--disable-plan", "7547a3fe-08ee-4ccb-b430-5077c5041653"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	reqs := f.requests()
	req := reqs[len(reqs)-1] // after the user's licenses are read
	want := `{"addLicenses":[{"skuId":"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46","disabledPlans":["57ff2da0-773e-42df-b2af-ffb7a2317929","7547a3fe-08ee-4ccb-b430-5077c5041653"]}],"removeLicenses":[]}`
	if req.method != "POST" || req.path != "/v1.0/users/a@x.example/assignLicense" || string(req.body) != want {
		t.Errorf("got %s %s %s\nwant POST /v1.0/users/a@x.example/assignLicense %s", req.method, req.path, req.body, want)
	}
}

func TestClientNotGraph(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/subscribedSkus" {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			return
		}
		w.Write([]byte("<html>hello</html>"))
	}))
	defer srv.Close()
	env := map[string]string{envURL: srv.URL, envToken: "tok"}
	r := runEnv(t, env, "", "skus")
	want := "allot: GET /v1.0/subscribedSkus: the server answered 502 Bad Gateway, not a Graph error (is ALLOT_URL=" + srv.URL + " an allot server?)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("want exit 1 and %q, got %+v", want, r)
	}
	r = runEnv(t, env, "", "subscriptions")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "allot: GET /v1.0/directory/subscriptions: the answer is not the JSON expected (is ALLOT_URL=") {
		t.Errorf("HTML answer: got %+v", r)
	}
}

func TestParseUsers(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{"lines", "a@x.example\n\n  b@x.example  \n# c@x.example\r\nd@x.example", []string{"a@x.example", "b@x.example", "d@x.example"}, ""},
		{"comments first", "# leavers\n\na@x.example\n", []string{"a@x.example"}, ""},
		{"one-column CSV", "userPrincipalName\na@x.example\n", []string{"a@x.example"}, ""},
		{"admin center export", "Display name,User principal name,Licenses\nA,a@x.example,SPB\n\"B, Jr\",b@x.example,\n", []string{"a@x.example", "b@x.example"}, ""},
		{"short rows", "id,userPrincipalName\n1\n2,b@x.example\n", []string{"b@x.example"}, ""},
		{"CSV without UPN column", "name,mail\nA,a@x.example\n", nil, "the CSV header (name, mail) has no userPrincipalName column"},
		{"nothing", "# none\n\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseUsers(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parseUsers = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
