package allot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestValidateDomainName(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name   string
		domain string
		want   *allot.Error
	}{
		{"two labels", "fabrikam.example", nil},
		{"digits and inner hyphens", "mail-2.fabrikam-eu.example", nil},
		{"labels of 63", long + "." + long, nil},
		{"one label", "localhost", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "localhost"}},
		{"empty", "", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: ""}},
		{"empty label", "fabrikam..example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "fabrikam..example"}},
		{"leading hyphen", "-fabrikam.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "-fabrikam.example"}},
		{"trailing hyphen", "fabrikam-.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "fabrikam-.example"}},
		{"underscore", "fab_rikam.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "fab_rikam.example"}},
		{"an address", "admin@fabrikam.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "admin@fabrikam.example"}},
		{"a URL", "https://fabrikam.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "https://fabrikam.example"}},
		{"label of 64", long + "a.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: long + "a.example"}},
		{"upper case (not normalized)", "Fabrikam.example", &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "Fabrikam.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.ValidateDomainName(tt.domain), tt.want) })
	}
}

func TestNormalizeDomainName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"upper case", "Fabrikam.EXAMPLE", "fabrikam.example"},
		{"spaces and final dot", " fabrikam.example. ", "fabrikam.example"},
		{"already normal", "fabrikam.example", "fabrikam.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allot.NormalizeDomainName(tt.in); got != tt.want {
				t.Errorf("NormalizeDomainName(%q) (-want +got):\n-%q\n+%q", tt.in, tt.want, got)
			}
		})
	}
}

func TestCheckUPNDomain(t *testing.T) {
	domains := []*allot.Domain{
		{Name: "contoso.example", IsDefault: true, IsVerified: true},
		{Name: "contoso-eu.example", IsVerified: true},
		{Name: "unverified.example"},
	}
	refused := func(upn string) *allot.Error {
		return &allot.Error{Code: allot.EINVALID, Field: "userPrincipalName", Value: upn}
	}
	tests := []struct {
		name string
		upn  string
		want *allot.Error
	}{
		{"default domain", "adele@contoso.example", nil},
		{"another domain of the tenant", "adele@contoso-eu.example", nil},
		{"domain in another case", "adele@CONTOSO.Example", nil},
		{"a domain of no tenant", "x1@other.example", refused("x1@other.example")},
		{"a subdomain", "adele@eu.contoso.example", refused("adele@eu.contoso.example")},
		{"a parent domain", "adele@example", refused("adele@example")},
		{"an unverified domain", "adele@unverified.example", refused("adele@unverified.example")},
		{"no domain", "adele", refused("adele")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.CheckUPNDomain(tt.upn, domains), tt.want) })
	}
	err := allot.CheckUPNDomain("x1@other.example", domains)
	const graphMessage = "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
	if got := allot.ErrorMessage(err); got != graphMessage {
		t.Errorf("message (-want +got):\n-%s\n+%s", graphMessage, got)
	}
}

func TestTenantSetupValidate(t *testing.T) {
	c := allot.DemoCatalog()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	setup := func(domain, admin string, subs ...allot.Subscription) *allot.TenantSetup {
		return &allot.TenantSetup{Tenant: allot.Tenant{Name: "Fabrikam", Domain: domain},
			Admin: allot.User{UserPrincipalName: admin, DisplayName: "Administrator", AccountEnabled: true}, Subscriptions: subs}
	}
	tests := []struct {
		name  string
		setup *allot.TenantSetup
		want  *allot.Error
	}{
		{"admin on the domain", setup("fabrikam.example", "admin@fabrikam.example"), nil},
		{"domain in any case", setup("Fabrikam.Example", "admin@FABRIKAM.example", allot.Subscription{SKUID: skuE3, Quantity: 25}), nil},
		{"admin on another domain", setup("fabrikam.example", "admin@contoso.example"),
			&allot.Error{Code: allot.EINVALID, Field: "userPrincipalName", Value: "admin@contoso.example"}},
		{"bad domain", setup("fabrikam", "admin@fabrikam"), &allot.Error{Code: allot.EINVALID, Field: "domain", Value: "fabrikam"}},
		{"bad admin", setup("fabrikam.example", "admin"),
			&allot.Error{Code: allot.EINVALID, Field: "userPrincipalName", Value: "admin"}},
		{"unknown SKU", setup("fabrikam.example", "admin@fabrikam.example", allot.Subscription{SKUID: skuUnknown, Quantity: 1}),
			&allot.Error{Code: allot.EINVALID, SKUID: skuUnknown, Field: "skuId", Value: skuUnknown}},
		{"no seats", setup("fabrikam.example", "admin@fabrikam.example", allot.Subscription{SKUID: skuE3}),
			&allot.Error{Code: allot.EINVALID, SKUID: skuE3, Field: "quantity", Value: "0"}},
		{"negative seats", setup("fabrikam.example", "admin@fabrikam.example", allot.Subscription{SKUID: skuE3, Quantity: -2}),
			&allot.Error{Code: allot.EINVALID, Field: "quantity", Value: "-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, tt.setup.Validate(c, now), tt.want) })
	}
	s := setup("Fabrikam.Example", "admin@fabrikam.example", allot.Subscription{SKUID: strings.ToUpper(skuE3), Quantity: 3})
	if err := s.Validate(c, now); err != nil {
		t.Fatal(err)
	}
	got := s.Subscriptions[0]
	want := allot.Subscription{SKUID: skuE3, Quantity: 3, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, RecurringBilling: true,
		CreatedAt: now, NextLifecycleAt: now.Add(allot.SetupTerm)}
	if got != want || s.Tenant.Domain != "fabrikam.example" {
		t.Errorf("normalized setup (-want +got):\n-%+v fabrikam.example\n+%+v %s", want, got, s.Tenant.Domain)
	}
}
