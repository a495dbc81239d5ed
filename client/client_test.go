package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot/graph"
)

// newTestClient returns a client of a server answering with handle.
func newTestClient(t *testing.T, handle http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(handle)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/v1.0/", "tok")
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = srv.Client()
	return c
}

// reply writes v as a JSON answer.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func TestRetriesThrottled(t *testing.T) {
	n := 0
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n++; n < 3 {
			w.Header().Set("Retry-After", "7")
			reply(w, 429, map[string]any{"error": map[string]any{"code": "TooManyRequests", "message": "Too many requests."}})
			return
		}
		reply(w, 200, map[string]any{"value": []any{}})
	})
	var slept []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	if _, err := c.List(context.Background(), c.URL("/v1.0/subscribedSkus", nil), nil, 0); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(slept, want) {
		t.Errorf("waited %v, want %v as Retry-After said", slept, want)
	}
}

func TestQueryEncode(t *testing.T) {
	q := Query{"$filter": "assignedLicenses/any(x:x/skuId eq 1) and userPrincipalName eq 'o''b&c'", "$select": "id,displayName"}
	want := "$filter=assignedLicenses%2Fany%28x%3Ax%2FskuId%20eq%201%29%20and%20userPrincipalName%20eq%20%27o%27%27b%26c%27&$select=id,displayName"
	if got := q.Encode(); got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"plain", "http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"Graph's base URL", " https://allot.example/v1.0/ ", "https://allot.example", ""},
		{"under a path", "https://x.example/allot/v1.0", "https://x.example/allot", ""},
		{"not HTTP", "ftp://x.example", "", "it needs http:// or https:// and a host"},
		{"no host", "http:///v1.0", "", "it needs http:// or https:// and a host"},
		{"query", "http://x.example/?a=1", "", "it has a query or a fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseBaseURL(tt.in)
			got, gotErr := "", ""
			if err != nil {
				gotErr = err.Error()
			} else {
				got = u.String()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("ParseBaseURL(%q) = %q, %q; want %q, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

// TestErrors checks how answers that are not a success come back.
func TestErrors(t *testing.T) {
	details := []ErrorDetail{{Code: "CountViolation", Message: "No seats.", Target: "a@x.example"}}
	tests := []struct {
		name    string
		handle  http.HandlerFunc
		want    error
		wantMsg string
	}{
		{"Graph error with details", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 400, map[string]any{"error": map[string]any{"code": "Request_BadRequest", "message": "No seats.", "details": details}})
		}, &Error{Status: 400, Code: "Request_BadRequest", Message: "No seats.", Details: details}, "No seats."},
		{"token refused", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 401, map[string]any{"error": map[string]any{"code": "InvalidAuthenticationToken", "message": "Access token has expired."}})
		}, &AuthError{Err: &Error{Status: 401, Code: "InvalidAuthenticationToken", Message: "Access token has expired."}, TokenFrom: EnvToken},
			"the token was refused (InvalidAuthenticationToken): set ALLOT_TOKEN to a valid token; 'allot token create --user UPN' issues one (the server said: Access token has expired.)"},
		{"not Graph", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		}, nil, "GET /v1.0/subscribedSkus: the server answered 502 Bad Gateway, not a Graph error (is ALLOT_URL=BASE an allot server?)"},
		{"next link elsewhere", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": "http://evil.example/v1.0/subscribedSkus?$skiptoken=2"})
		}, nil, `the server's next page link "http://evil.example/v1.0/subscribedSkus?$skiptoken=2" leaves BASE; refusing to send the token there`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.handle)
			_, err := c.List(context.Background(), c.URL("/v1.0/subscribedSkus", nil), nil, 0)
			if err == nil {
				t.Fatal("List: no error")
			}
			if tt.want != nil && !reflect.DeepEqual(err, tt.want) {
				t.Errorf("error = %#v, want %#v", err, tt.want)
			}
			if want := strings.ReplaceAll(tt.wantMsg, "BASE", c.Base.String()); err.Error() != want {
				t.Errorf("message:\n got %s\nwant %s", err, want)
			}
		})
	}
}

func TestRuleAndRefused(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 400, map[string]any{"error": map[string]any{"code": "Request_BadRequest", "message": "User does not have a corresponding license.",
			"details": []any{map[string]any{"code": "LicenseNotHeld", "message": "m", "target": "u"}}}})
	})
	err := c.Post(context.Background(), c.URL("/v1.0/users/u/assignLicense", nil), map[string]any{}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Rule() != "LicenseNotHeld" || e.Status != 400 {
		t.Errorf("error %#v: want an *Error of status 400 naming the rule LicenseNotHeld", err)
	}
}

// TestAPI checks the typed calls of allot's own endpoints against what
// the server got and answered.
func TestAPI(t *testing.T) {
	var got []string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		switch r.URL.Path {
		case CheckPath:
			reply(w, 200, graph.CheckResults{Results: []graph.CheckResult{{User: "a@x.example", Licensed: true, Reason: "Licensed"}}})
		case BulkPath:
			var req graph.BulkRequest
			json.NewDecoder(r.Body).Decode(&req)
			reply(w, 200, graph.BulkResponse{Results: []graph.BulkResult{{User: req.Users[0], Changed: true}}, Changed: 1, DryRun: req.DryRun})
		}
	})
	ctx := context.Background()
	res, err := c.Check(ctx, []graph.CheckRequest{{User: "a@x.example", ServicePlan: "TEAMS1"}})
	if want := []graph.CheckResult{{User: "a@x.example", Licensed: true, Reason: "Licensed"}}; err != nil || !reflect.DeepEqual(res, want) {
		t.Errorf("Check = %+v, %v; want %+v", res, err, want)
	}
	bulk, err := c.BulkAssignLicense(ctx, graph.BulkRequest{Users: []string{"b@x.example"}, DryRun: true})
	if want := (&graph.BulkResponse{Results: []graph.BulkResult{{User: "b@x.example", Changed: true}}, Changed: 1, DryRun: true}); err != nil || !reflect.DeepEqual(bulk, want) {
		t.Errorf("BulkAssignLicense = %+v, %v; want %+v", bulk, err, want)
	}
	if _, err := c.CheckOne(ctx, "a b@x.example", "TEAMS1"); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /api/check Bearer tok", "POST /api/bulkAssignLicense Bearer tok", "GET /api/check?user=a+b%40x.example&servicePlan=TEAMS1 Bearer tok"}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}
