package allot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestUserValidate(t *testing.T) {
	long := strings.Repeat("é", 129)
	tests := []struct {
		name string
		u    allot.User
		want *allot.Error
	}{
		{"valid", allot.User{UserPrincipalName: " a@contoso.example ", DisplayName: "A", UsageLocation: " fr"}, nil},
		{"UPN without domain", allot.User{UserPrincipalName: "a@", DisplayName: "A"}, &allot.Error{Code: allot.EINVALID, Field: "userPrincipalName", Value: "a@"}},
		{"UPN with a space", allot.User{UserPrincipalName: "a b@contoso.example", DisplayName: "A"},
			&allot.Error{Code: allot.EINVALID, Field: "userPrincipalName", Value: "a b@contoso.example"}},
		{"no display name", allot.User{UserPrincipalName: "a@contoso.example", DisplayName: " "}, &allot.Error{Code: allot.EINVALID, Field: "displayName"}},
		{"surname too long", allot.User{UserPrincipalName: "a@contoso.example", DisplayName: "A", Surname: long}, &allot.Error{Code: allot.EINVALID, Field: "surname"}},
		{"control character", allot.User{UserPrincipalName: "a@contoso.example", DisplayName: "A", JobTitle: "x\x00"}, &allot.Error{Code: allot.EINVALID, Field: "jobTitle"}},
		{"invalid UTF-8", allot.User{UserPrincipalName: "a@contoso.example", DisplayName: "A\xff"}, &allot.Error{Code: allot.EINVALID, Field: "displayName"}},
		{"unknown country", allot.User{UserPrincipalName: "a@contoso.example", DisplayName: "A", UsageLocation: "xx"},
			&allot.Error{Code: allot.EINVALID, Field: "usageLocation", Value: "XX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, tt.u.Validate(), tt.want) })
	}
}

func TestCheckDelete(t *testing.T) {
	tests := []struct {
		name string
		p    allot.Principal
		want *allot.Error
	}{
		{"another user", principal(adminID, allot.RoleUserAdmin), nil},
		{"oneself", principal(holderID, allot.RoleUserAdmin), &allot.Error{Code: allot.EINVALID, UserID: holderID}},
		{"the system", allot.SystemPrincipal(testTenant, "test"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.CheckDelete(tt.p, user(holderID, "FR")), tt.want) })
	}
}

func TestCheckUsageLocationKept(t *testing.T) {
	empty, de := "", "DE"
	tests := []struct {
		name string
		u    *allot.User // after the update
		upd  allot.UserUpdate
		want *allot.Error
	}{
		{"cleared, licensed", user(holderID, "", lic(skuE3, ""), lic(skuExStd, "")), allot.UserUpdate{UsageLocation: &empty},
			&allot.Error{Code: allot.EUSAGELOCATION, UserID: holderID, Field: "usageLocation", Count: 2}},
		{"cleared, unlicensed", user(holderID, ""), allot.UserUpdate{UsageLocation: &empty}, nil},
		{"changed, licensed", user(holderID, "DE", lic(skuE3, "")), allot.UserUpdate{UsageLocation: &de}, nil},
		{"not touched", user(holderID, "", lic(skuE3, "")), allot.UserUpdate{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.CheckUsageLocationKept(tt.u, tt.upd), tt.want) })
	}
}

func TestRestoreRules(t *testing.T) {
	u := user(holderID, "FR")
	wantError(t, allot.CheckRestore(u, false), nil)
	wantError(t, allot.CheckRestore(u, true), &allot.Error{Code: allot.ECONFLICT, UserID: holderID, Field: "userPrincipalName", Value: u.UserPrincipalName})
	e := allot.RestoreSeatsError(allot.DemoCatalog(), u, skuE3)
	wantError(t, e, &allot.Error{Code: allot.ECOUNTVIOLATION, UserID: holderID, SKUID: skuE3, Count: 1})
	if !strings.Contains(e.Message, "Office 365 E3") || !strings.Contains(e.Message, u.UserPrincipalName) {
		t.Errorf("message %q names neither the product nor the user", e.Message)
	}
}

func TestPageSizes(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		wantLimit int
		want      *allot.Error
	}{
		{"default", 0, 100, nil},
		{"negative means default", -5, 100, nil},
		{"largest", allot.MaxPage, allot.MaxPage, nil},
		{"too large", allot.MaxPage + 1, allot.MaxPage + 1, &allot.Error{Code: allot.EINVALID, Count: allot.MaxPage + 1, Limit: allot.MaxPage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uf := allot.UserFilter{Limit: tt.limit}
			want := tt.want
			if want != nil {
				w := *want
				w.Field, w.Value = "$top", "1001"
				want = &w
			}
			wantError(t, uf.Validate(), want)
			af := allot.AuditFilter{Limit: tt.limit}
			wantError(t, af.Validate(), tt.want)
			if uf.Limit != tt.wantLimit || af.Limit != tt.wantLimit {
				t.Errorf("limits -want +got\n-%d\n+%d %d", tt.wantLimit, uf.Limit, af.Limit)
			}
		})
	}
}

func TestShapes(t *testing.T) {
	c := allot.DemoCatalog()
	tests := []struct {
		name string
		err  error
		want *allot.Error
	}{
		{"subscription of an unknown SKU", (&allot.Subscription{ID: "s", SKUID: skuUnknown, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin}).Validate(c),
			&allot.Error{Code: allot.EINVALID, SubscriptionID: "s", SKUID: skuUnknown, Field: "skuId", Value: skuUnknown}},
		{"negative quantity", (&allot.Subscription{ID: "s", SKUID: skuE3, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, Quantity: -1}).Validate(c),
			&allot.Error{Code: allot.EINVALID, SubscriptionID: "s", Field: "quantity", Value: "-1"}},
		{"self-service without purchaser", (&allot.Subscription{ID: "s", SKUID: skuE3, Status: allot.StatusEnabled, OwnerType: allot.OwnerUser}).Validate(c),
			&allot.Error{Code: allot.EINVALID, SubscriptionID: "s", Field: "purchasedBy"}},
		{"tenant without name", (&allot.Tenant{Domain: "contoso.example"}).Validate(), &allot.Error{Code: allot.EINVALID, Field: "name"}},
		{"tenant id not a GUID", (&allot.Tenant{ID: "t1", Name: "T", Domain: "contoso.example"}).Validate(), &allot.Error{Code: allot.EINVALID, Field: "id", Value: "t1"}},
		{"token without lifetime", allot.ValidateTokenTTL(0), &allot.Error{Code: allot.EINVALID, Field: "ttl", Value: "0s"}},
		{"token for an hour", allot.ValidateTokenTTL(time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, tt.err, tt.want) })
	}
	s := &allot.Subscription{SKUID: strings.ToUpper(skuE3)}
	s.SetDefaults()
	if s.SKUID != skuE3 || s.Status != allot.StatusEnabled || s.OwnerType != allot.OwnerAdmin {
		t.Errorf("defaults: %+v", *s)
	}
}

func TestTokenAuthenticates(t *testing.T) {
	active := user(holderID, "FR")
	blocked, gone := user(holderID, "FR"), user(holderID, "FR")
	blocked.AccountEnabled, gone.DeletedAt = false, testNow.Add(-time.Minute)
	valid := allot.Token{UserID: holderID, CreatedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(time.Hour)}
	revoked, expired := valid, valid
	revoked.RevokedAt, expired.ExpiresAt = testNow.Add(-time.Minute), testNow
	tests := []struct {
		name string
		tok  allot.Token
		u    *allot.User
		want bool
	}{
		{"valid", valid, active, true},
		{"revoked", revoked, active, false},
		{"expiring now", expired, active, false},
		{"user blocked", valid, blocked, false},
		{"user deleted", valid, gone, false},
		{"user purged", valid, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.Authenticates(tt.u, testNow); got != tt.want {
				t.Errorf("Authenticates -want +got\n-%v\n+%v", tt.want, got)
			}
		})
	}
}
