package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// FuzzFilter checks that the $filter parser never panics and either parses
// into a filter with well-formed ids or fails with a 400 *apiError.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"assignedLicenses/any(x:x/skuId eq " + skuE3 + ")",
		"assignedLicenses/any(x:x/skuId eq '" + skuE3 + "')",
		"assignedLicenses/$count eq 0",
		"userPrincipalName eq 'o''neil@contoso.example'",
		"id eq '" + skuE3 + "'",
		"startsWith(displayName,'Ad') and accountEnabled eq true",
		"(accountEnabled eq false) and (userPrincipalName eq 'a@b.c')",
		"accountEnabled eq true or id eq 'x'",
		"not(accountEnabled eq true)",
		"assignedLicenses/any(x:x/skuId eq",
		"'unterminated",
		"((((((((((((((((((((accountEnabled eq true))))))))))))))))))))",
		"displayName eq 'x'",
		"",
		"\x00\xff",
		"a/b/c/d(e:f/g eq h)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseFilter(s)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.code == "" || ae.message == "" {
				t.Fatalf("parseFilter(%q) = %#v, want a 400 *apiError", s, err)
			}
			return
		}
		for _, id := range []string{q.filter.SKUID, q.filter.ID} {
			if id != "" && (!allot.IsGUID(id) || id != strings.ToLower(id)) {
				t.Fatalf("parseFilter(%q) let through id %q", s, id)
			}
		}
		if q.advanced && !q.filter.Unlicensed {
			t.Fatalf("parseFilter(%q): advanced without assignedLicenses/$count", s)
		}
	})
}

// checkResponse fails on a server error (5xx other than a deliberate 501
// NotImplemented) or on an error without a valid envelope.
func checkResponse(t *testing.T, resp *response, body []byte) {
	t.Helper()
	switch {
	case resp.status >= 500 && resp.status != http.StatusNotImplemented:
		t.Fatalf("status %d for body %q: %s", resp.status, body, resp.body)
	case resp.status >= 400:
		resp.envelope(t)
	case resp.status == http.StatusNoContent:
		if len(resp.body) != 0 {
			t.Fatalf("204 with a body: %s", resp.body)
		}
	default:
		if !json.Valid(resp.body) {
			t.Fatalf("status %d with invalid JSON: %s", resp.status, resp.body)
		}
	}
}

func gzipSeed(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// quiet silences the server's logs, which would grow without bound while
// fuzzing.
func quiet(o *Options, _ *Services) { o.Logger = slog.New(slog.DiscardHandler) }

// FuzzAssignLicenseBody sends arbitrary bodies to assignLicense on a real
// store: never a 500, always a valid envelope on errors, and a refused
// request changes no seat and no license. A successful change is undone,
// so that every input runs against the same state.
func FuzzAssignLicenseBody(f *testing.F) {
	valid := []byte(`{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":["` + planTeams + `"]}],"removeLicenses":[]}`)
	for _, s := range [][]byte{
		valid,
		gzipSeed(valid),
		[]byte(`{"addLicenses":[],"removeLicenses":["` + skuE3 + `"]}`),
		[]byte(`{"addLicenses":[{"skuId":"` + skuExchangeStd + `"},{"skuId":"` + skuArchive + `"}],"removeLicenses":[]}`),
		[]byte(`{"addLicenses":[{"skuId":"` + skuUnknown + `"}],"removeLicenses":[]}`),
		[]byte(`{"addLicenses":[{"skuId":"` + skuSelfService + `"}],"removeLicenses":[]}`),
		[]byte(`{"addLicenses":[],"removeLicenses":[]}`),
		[]byte(`{"addLicenses":{},"removeLicenses":null}`),
		[]byte(`{"addLicenses":[{"skuId":5,"disabledPlans":"x"}],"removeLicenses":[1,true,null]}`),
		[]byte(`{"addLicenses":[{"skuId":"` + skuE3 + `"},{"skuId":"` + skuE3 + `"}],"removeLicenses":["` + skuE3 + `"]}`),
		[]byte(`{"AddLicenses":[{"SKUID":"` + strings.ToUpper(skuE3) + `"}],"addlicenses":[],"removeLicenses":[]}`),
		[]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`),
		[]byte("{\"addLicenses\":[{\"skuId\":\"\u00e9\x00\"}],\"removeLicenses\":[]}"),
		{0x1f, 0x8b, 0x08},
		{},
		[]byte(`null`),
	} {
		f.Add(s)
	}
	fx := newFixture(f, quiet)
	a := fx.a
	target := a.users["target"]
	path := "/v1.0/users/" + target.ID + "/assignLicense"
	baseline := fx.seatState(f, a, target.ID)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := fx.do(t, request{method: "POST", path: path, token: a.tokens[callerGlobal], body: body,
			header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}})
		checkResponse(t, resp, body)
		if resp.status < 400 {
			fx.unassignAll(t, a, target.ID)
			return
		}
		if d := diff(baseline, fx.seatState(t, a, target.ID)); d != "" {
			t.Fatalf("refused body %q changed state (-before +after):\n%s", body, d)
		}
	})
}

// unassignAll removes every license of a user.
func (f *fixture) unassignAll(t testing.TB, tf *tenantFixture, id string) {
	t.Helper()
	if held := f.licenses(t, tf, id); len(held) > 0 {
		_, err := f.db.AssignLicenses(context.Background(), sys(tf.tenant.ID), id, allot.LicenseChange{Remove: held})
		must(t, err)
	}
}

// FuzzUserBody sends arbitrary bodies to user create and update on a real
// store: never a 500, and always a valid envelope on errors. Created users
// are deleted and updates undone, so that every input runs against the
// same state.
func FuzzUserBody(f *testing.F) {
	for _, s := range []string{
		`{"accountEnabled":true,"displayName":"Adele Vance","mailNickname":"adele","userPrincipalName":"adele@contoso.example","passwordProfile":{"password":"x"}}`,
		`{"displayName":"A","userPrincipalName":"a@contoso.example","usageLocation":"fr","givenName":null,"surname":"S","jobTitle":"J"}`,
		`{"usageLocation":"US"}`,
		`{"usageLocation":""}`,
		`{"userPrincipalName":"target@contoso.example"}`,
		`{"displayName":"` + strings.Repeat("x", 300) + `","userPrincipalName":"long@contoso.example"}`,
		`{"displayName":"\u0000","userPrincipalName":"nul\u0000@contoso.example"}`,
		`{"accountEnabled":"true"}`,
		`{"unknown":1}`,
		`{"department":"x"}`,
		`{"displayName":1e400}`,
		`{"@odata.type":"#microsoft.graph.user","displayName":"ok"}`,
		`{}`,
		`[]`,
		`{"displayName":"a","displayName":"b"}`,
		"\x1f\x8b",
	} {
		f.Add([]byte(s))
	}
	fx := newFixture(f, quiet)
	a := fx.a
	target := a.users["target"]
	ctx := context.Background()
	p := sys(a.tenant.ID)
	reset := allot.UserUpdate{DisplayName: &target.DisplayName, GivenName: &target.GivenName, Surname: &target.Surname,
		JobTitle: &target.JobTitle, UsageLocation: &target.UsageLocation, AccountEnabled: &target.AccountEnabled}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := fx.do(t, request{method: "POST", path: "/v1.0/users", token: a.tokens[callerGlobal], body: body})
		checkResponse(t, resp, body)
		if resp.status == http.StatusCreated {
			must(t, fx.db.DeleteUser(ctx, p, resp.object(t)["id"].(string)))
		}
		resp = fx.do(t, request{method: "PATCH", path: "/v1.0/users/" + target.ID, token: a.tokens[callerGlobal], body: body})
		checkResponse(t, resp, body)
		if resp.status == http.StatusNoContent {
			_, err := fx.db.UpdateUser(ctx, p, target.ID, reset)
			must(t, err)
		}
	})
}
