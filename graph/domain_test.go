package graph

import (
	"context"
	"net/http"
	"testing"

	"github.com/allot-project/allot"
)

func TestDomains(t *testing.T) {
	f := newFixture(t)
	must(t, f.db.AddDomain(context.Background(), f.a.tenant.ID, &allot.Domain{Name: "contoso-eu.example"}))
	contoso := map[string]any{
		"id": "contoso.example", "authenticationType": "Managed", "availabilityStatus": nil, "isAdminManaged": true,
		"isDefault": true, "isInitial": true, "isRoot": true, "isVerified": true, "passwordNotificationWindowInDays": float64(14),
		"passwordValidityPeriodInDays": float64(2147483647), "supportedServices": []any{"Email"}, "state": nil,
	}
	eu := map[string]any{}
	for k, v := range contoso {
		eu[k] = v
	}
	eu["id"], eu["isDefault"], eu["isInitial"] = "contoso-eu.example", false, false
	withContext := func(m map[string]any, ctx string) map[string]any {
		out := map[string]any{"@odata.context": ctx}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		caller string
		path   string
		status int
		want   any // the body, or the error code
	}{
		{"list", callerReader, "/v1.0/domains", http.StatusOK, map[string]any{
			"@odata.context": "http://allot.test/v1.0/$metadata#domains", "value": []any{contoso, eu}}},
		{"list by a License Administrator", callerLicense, "/v1.0/domains?$select=id,isDefault", http.StatusOK, map[string]any{
			"@odata.context": "http://allot.test/v1.0/$metadata#domains(id,isDefault)",
			"value":          []any{map[string]any{"id": "contoso.example", "isDefault": true}, map[string]any{"id": "contoso-eu.example", "isDefault": false}}}},
		{"one, any case", callerGlobal, "/v1.0/domains/Contoso-EU.example", http.StatusOK,
			withContext(eu, "http://allot.test/v1.0/$metadata#domains/$entity")},
		{"another tenant's", callerGlobal, "/v1.0/domains/fabrikam.example", http.StatusNotFound, codeNotFound},
		{"an ordinary user", callerOrdinary, "/v1.0/domains", http.StatusForbidden, codeForbidden},
		{"no token", callerNone, "/v1.0/domains", http.StatusUnauthorized, codeUnauthorized},
		{"unknown property", callerReader, "/v1.0/domains?$select=mx", http.StatusBadRequest, codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, f.a, tt.caller, tt.path)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d\n%s", r.status, tt.status, r.body)
			}
			if code, ok := tt.want.(string); ok {
				if got := r.envelope(t).Error.Code; got != code {
					t.Errorf("code (-want +got):\n-%s\n+%s", code, got)
				}
				return
			}
			if d := diff(tt.want, r.object(t)); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

// TestUserOnForeignDomain proves that POST /users refuses a
// userPrincipalName outside the tenant's domains as Graph does, and
// creates nothing.
func TestUserOnForeignDomain(t *testing.T) {
	f := newFixture(t)
	const graphMessage = "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
	tests := []struct {
		name, upn string
		status    int
	}{
		{"a domain of no tenant", "x1@other.example", http.StatusBadRequest},
		{"another tenant's domain", "x2@fabrikam.example", http.StatusBadRequest},
		{"a subdomain", "x3@eu.contoso.example", http.StatusBadRequest},
		{"the tenant's domain in another case", "x4@CONTOSO.Example", http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"accountEnabled":true,"displayName":"X","mailNickname":"x","userPrincipalName":"` + tt.upn + `","passwordProfile":{"password":"p@ss-W0rd!"}}`
			r := f.send(t, f.a, callerUser, "POST", "/v1.0/users", body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d\n%s", r.status, tt.status, r.body)
			}
			if tt.status == http.StatusCreated {
				return
			}
			e := r.envelope(t)
			if d := diff([]string{codeBadRequest, graphMessage}, []string{e.Error.Code, e.Error.Message}); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
			if got := f.get(t, f.a, callerReader, "/v1.0/users/"+tt.upn); got.status != http.StatusNotFound {
				t.Errorf("the refused user: status %d, want 404\n%s", got.status, got.body)
			}
		})
	}
}

// TestRenameToForeignDomain proves that PATCH /users/{id} refuses a new
// userPrincipalName outside the tenant's domains with Graph's 400 before
// the 501 of a rename, and changes nothing.
func TestRenameToForeignDomain(t *testing.T) {
	f := newFixture(t)
	target := f.a.users["target"]
	tests := []struct {
		name, upn string
		status    int
		code      string
	}{
		{"a domain of no tenant", "target@other.example", http.StatusBadRequest, codeBadRequest},
		{"another tenant's domain", "target@FABRIKAM.example", http.StatusBadRequest, codeBadRequest},
		{"the tenant's own domain", "renamed@contoso.example", http.StatusNotImplemented, codeNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.send(t, f.a, callerUser, "PATCH", "/v1.0/users/"+target.ID, `{"userPrincipalName":"`+tt.upn+`","displayName":"Changed"}`)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d\n%s", r.status, tt.status, r.body)
			}
			if got := r.envelope(t).Error.Code; got != tt.code {
				t.Errorf("code (-want +got):\n-%s\n+%s", tt.code, got)
			}
			u := f.get(t, f.a, callerReader, "/v1.0/users/"+target.ID+"?$select=userPrincipalName,displayName").object(t)
			if d := diff([]any{target.UserPrincipalName, target.DisplayName}, []any{u["userPrincipalName"], u["displayName"]}); d != "" {
				t.Errorf("the user after a refused rename (-want +got):\n%s", d)
			}
		})
	}
}
