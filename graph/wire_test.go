package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	must(t, zw.Close())
	return buf.Bytes()
}

// TestBodyEncodings checks that bodies are sniffed, not trusted to their
// Content-Encoding: gzip with or without the header, and plain JSON under a
// gzip header (the Graph SDK's retry bug) all work.
func TestBodyEncodings(t *testing.T) {
	f := newFixture(t)
	a := f.a
	body := []byte(`{"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":[]}`)
	tests := []struct {
		name     string
		body     []byte
		encoding string
	}{
		{"gzip with header", gzipped(t, body), "gzip"},
		{"gzip without header", gzipped(t, body), ""},
		{"plain with gzip header", body, "gzip"},
		{"plain", body, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := f.freshUser(t, a)
			rq := request{method: "POST", path: "/v1.0/users/" + u.ID + "/assignLicense", token: a.tokens[callerGlobal], body: tt.body,
				header: map[string]string{"Content-Type": "application/json"}}
			if tt.encoding != "" {
				rq.header["Content-Encoding"] = tt.encoding
			}
			if resp := f.do(t, rq); resp.status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			if got := f.licenses(t, a, u.ID); !slices.Equal(got, []string{skuE3}) {
				t.Errorf("licenses -want +got\n-[%s]\n+%v", skuE3, got)
			}
		})
	}
}

// TestWireRefusals checks body limits, bad encodings, routing errors and
// header handling, each answered in the envelope.
func TestWireRefusals(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.MaxBodyBytes = 1024 })
	a := f.a
	u := a.users["target"]
	assign := "/v1.0/users/" + u.ID + "/assignLicense"
	big := []byte(`{"addLicenses":[],"removeLicenses":[],"pad":"` + strings.Repeat("x", 2000) + `"}`)
	bomb := gzipped(t, []byte(`{"addLicenses":[],"removeLicenses":[],"pad":"`+strings.Repeat("x", 100000)+`"}`))
	tests := []struct {
		name       string
		rq         request
		wantStatus int
		wantCode   string
		wantMsg    string
		wantHeader map[string]string
	}{
		{name: "oversize body", rq: request{method: "POST", path: assign, body: big}, wantStatus: 413, wantCode: codeTooLarge, wantMsg: "1024 bytes"},
		{name: "gzip bomb", rq: request{method: "POST", path: assign, body: bomb, header: map[string]string{"Content-Encoding": "gzip"}},
			wantStatus: 413, wantCode: codeTooLarge, wantMsg: "larger than the limit"},
		{name: "broken gzip", rq: request{method: "POST", path: assign, body: []byte{0x1f, 0x8b, 0, 1, 2, 3}}, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "not valid gzip"},
		{name: "truncated gzip", rq: request{method: "POST", path: assign, body: gzipped(t, big)[:40]}, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "not valid gzip"},
		{name: "brotli", rq: request{method: "POST", path: assign, body: []byte(`{}`), header: map[string]string{"Content-Encoding": "br"}},
			wantStatus: 415, wantCode: codeUnsupportedMedia, wantMsg: "'br'"},
		{name: "wrong method", rq: request{method: "DELETE", path: "/v1.0/subscribedSkus"}, wantStatus: 405, wantCode: codeBadRequest,
			wantMsg: "Specified HTTP method is not allowed", wantHeader: map[string]string{"Allow": "GET"}},
		{name: "post to subscribedSku", rq: request{method: "POST", path: "/v1.0/subscribedSkus/x", body: []byte(`{}`)}, wantStatus: 405, wantCode: codeBadRequest},
		{name: "patch subscribedSku", rq: request{method: "PATCH", path: "/v1.0/subscribedSkus/x", body: []byte(`{}`)}, wantStatus: 405, wantCode: codeBadRequest},
		{name: "put user", rq: request{method: "PUT", path: "/v1.0/users/" + u.ID}, wantStatus: 405, wantCode: codeBadRequest,
			wantHeader: map[string]string{"Allow": "GET, PATCH, DELETE"}},
		{name: "GET assignLicense", rq: request{method: "GET", path: assign}, wantStatus: 405, wantCode: codeBadRequest, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "unknown route", rq: request{method: "GET", path: "/v1.0/groups"}, wantStatus: 404, wantCode: "UnknownError",
			wantMsg: "Resource not found for the segment 'groups'."},
		{name: "unknown segment", rq: request{method: "GET", path: "/v1.0/users/" + u.ID + "/manager"}, wantStatus: 404, wantCode: "UnknownError",
			wantMsg: "segment 'manager'"},
		{name: "unknown version", rq: request{method: "GET", path: "/beta/users"}, wantStatus: 404, wantCode: "UnknownError", wantMsg: "segment 'beta'"},
		{name: "trailing slash", rq: request{method: "GET", path: "/v1.0/users/"}, wantStatus: 404, wantCode: "UnknownError"},
		{name: "unclean path", rq: request{method: "GET", path: "/v1.0//users"}, wantStatus: 404, wantCode: "UnknownError"},
		{name: "dot segments", rq: request{method: "GET", path: "/v1.0/x/../users"}, wantStatus: 404, wantCode: "UnknownError"},
		{name: "client-request-id echoed", rq: request{method: "GET", path: "/v1.0/nothing", header: map[string]string{"client-request-id": "abc-123"}},
			wantStatus: 404, wantCode: "UnknownError", wantHeader: map[string]string{"client-request-id": "abc-123"}},
		{name: "basic auth", rq: request{method: "GET", path: "/v1.0/me", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}},
			wantStatus: 401, wantCode: codeUnauthorized, wantMsg: "Bearer", wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="allot"`}},
		{name: "garbage token", rq: request{method: "GET", path: "/v1.0/me", header: map[string]string{"Authorization": "Bearer x.y.z"}},
			wantStatus: 401, wantCode: codeUnauthorized, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="allot", error="invalid_token"`}},
	}
	before := f.seatState(t, a, u.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rq.header == nil || tt.rq.header["Authorization"] == "" {
				tt.rq.token = a.tokens[callerGlobal]
			}
			resp := f.do(t, tt.rq)
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", tt.wantStatus, resp.status, resp.body)
			}
			e := resp.envelope(t)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("error -want +got\n-%s: …%s…\n+%s: %s", tt.wantCode, tt.wantMsg, e.Error.Code, e.Error.Message)
			}
			for k, v := range tt.wantHeader {
				if got := resp.header.Get(k); got != v {
					t.Errorf("header %s -want +got\n-%s\n+%s", k, v, got)
				}
			}
			if cid := tt.rq.header["client-request-id"]; cid != "" && e.Error.InnerError.ClientRequestID != cid {
				t.Errorf("innerError.client-request-id = %q, want %q", e.Error.InnerError.ClientRequestID, cid)
			}
		})
	}
	if d := diff(before, f.seatState(t, a, u.ID)); d != "" {
		t.Errorf("refused requests changed state (-before +after):\n%s", d)
	}
}

// failingUsers makes FindUser fail with an internal error and FindUsers
// panic.
type failingUsers struct{ allot.UserService }

func (failingUsers) FindUser(context.Context, allot.Principal, string) (*allot.User, error) {
	return nil, errors.New("sqlite: disk I/O error at /var/lib/allot/secret.db")
}

func (failingUsers) FindUsers(context.Context, allot.Principal, allot.UserFilter) ([]*allot.User, bool, error) {
	panic("boom")
}

// TestInternalErrors checks that unexpected errors and panics are 500
// "Internal error." in the envelope, logged once with the request id, and
// never leak internals.
func TestInternalErrors(t *testing.T) {
	f := newFixture(t, func(_ *Options, s *Services) { s.Users = failingUsers{s.Users} })
	for _, path := range []string{"/v1.0/me", "/v1.0/users"} {
		t.Run(path, func(t *testing.T) {
			resp := f.get(t, f.a, callerGlobal, path)
			if resp.status != http.StatusInternalServerError {
				t.Fatalf("status -want +got\n-500\n+%d", resp.status)
			}
			e := resp.envelope(t)
			if e.Error.Code != codeInternal || e.Error.Message != msgInternal {
				t.Errorf("error -want +got\n-%s %s\n+%s %s", codeInternal, msgInternal, e.Error.Code, e.Error.Message)
			}
			if strings.Contains(string(resp.body), "secret") || strings.Contains(string(resp.body), "boom") {
				t.Errorf("internals leaked: %s", resp.body)
			}
			id := resp.header.Get("request-id")
			var lines []string
			for _, l := range strings.Split(f.logs.String(), "\n") {
				if strings.Contains(l, id) && strings.Contains(l, "level=ERROR") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Errorf("want one error log line with request id %s, got %d:\n%s", id, len(lines), strings.Join(lines, "\n"))
			}
		})
	}
}

// TestRequestLog checks the one Info line per request.
func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	resp := f.get(t, f.a, callerGlobal, "/v1.0/users/"+f.a.users["target"].ID)
	id := resp.header.Get("request-id")
	var line string
	for _, l := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(l, "request_id="+id) {
			line = l
		}
	}
	for _, want := range []string{"level=INFO", "msg=request", "method=GET", "route=/v1.0/users/{id}", "status=200", "duration=", "tenant=" + f.a.tenant.ID} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
}
