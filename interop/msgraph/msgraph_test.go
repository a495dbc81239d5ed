package msgraph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// TestGraphSDK drives a real "allot serve --demo" with the official
// Microsoft Graph Go SDK, as an administrator's script would.
func TestGraphSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts allot; skipped with -short")
	}
	srv := startServer(t)
	c := newClient(t, srv)
	run := fmt.Sprintf("%x", time.Now().UnixNano()%0xffffff)

	// Later subtests rely on the state the earlier ones leave.
	steps := []struct {
		name    string
		timeout time.Duration
		fn      func(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string)
	}{
		{"SubscribedSkus", time.Minute, testSubscribedSKUs},
		{"AssignAndRemove", time.Minute, testAssignAndRemove},
		{"Errors", 2 * time.Minute, testErrors},
		{"Paging", 8 * time.Minute, testPaging},
		{"DeleteRestoreMe", time.Minute, testDeleteRestoreMe},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			defer cancel()
			s.fn(ctx, t, c, run)
		})
	}
}

// testSubscribedSKUs checks the demo tenant's Business Premium SKU.
func testSubscribedSKUs(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, _ string) {
	spb := findSKU(ctx, t, c, skuBusinessPremium)
	if got := str(spb.GetSkuPartNumber()); got != "SPB" {
		t.Errorf("Business Premium skuPartNumber = %q, want SPB", got)
	}
	if spb.GetPrepaidUnits() == nil {
		t.Fatal("Business Premium has no prepaidUnits")
	}
	enabled, consumed := i32(spb.GetPrepaidUnits().GetEnabled()), i32(spb.GetConsumedUnits())
	if enabled != 13 {
		t.Errorf("Business Premium prepaidUnits.enabled = %d, want 13 (5+8)", enabled)
	}
	if consumed < 0 || consumed > enabled {
		t.Errorf("Business Premium consumedUnits = %d, want 0..%d", consumed, enabled)
	}
	if got := str(spb.GetAppliesTo()); got != "User" {
		t.Errorf("Business Premium appliesTo = %q, want User", got)
	}
	if got := str(spb.GetCapabilityStatus()); got != "Enabled" {
		t.Errorf("Business Premium capabilityStatus = %q, want Enabled", got)
	}
	if n := len(spb.GetSubscriptionIds()); n != 2 {
		t.Errorf("Business Premium subscriptionIds has %d ids, want 2 (two subscriptions)", n)
	}
	if len(spb.GetServicePlans()) == 0 {
		t.Error("Business Premium has no servicePlans")
	}
	for _, p := range spb.GetServicePlans() {
		if p.GetServicePlanId() == nil || p.GetServicePlanName() == nil {
			t.Errorf("servicePlan without id or name: id %v name %s", p.GetServicePlanId(), str(p.GetServicePlanName()))
		}
	}
	// The other demo SKUs are there too.
	findSKU(ctx, t, c, skuOffice365E3)
	findSKU(ctx, t, c, skuExchangePlan1)
}

// testAssignAndRemove assigns Business Premium to a new user, reads its
// license details and removes it again.
func testAssignAndRemove(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string) {
	spb := findSKU(ctx, t, c, skuBusinessPremium)
	if free := i32(spb.GetPrepaidUnits().GetEnabled()) - i32(spb.GetConsumedUnits()); free < 1 {
		t.Fatalf("Business Premium has no free seat (enabled %d, consumed %d)", i32(spb.GetPrepaidUnits().GetEnabled()), i32(spb.GetConsumedUnits()))
	}
	alias := "assign-" + run
	u := createUser(ctx, t, c, alias, "FR")
	upn := alias + "@" + domain

	got, err := assign(ctx, c, upn, []uuid.UUID{skuBusinessPremium}, nil)
	if err != nil {
		t.Fatalf("assignLicense add SPB to %s: %s", upn, describe(err))
	}
	if str(got.GetId()) != str(u.GetId()) {
		t.Errorf("assignLicense returned user id %s, want %s", str(got.GetId()), str(u.GetId()))
	}
	if ls := got.GetAssignedLicenses(); len(ls) != 1 || !hasSKU(ls, skuBusinessPremium) {
		t.Errorf("assignLicense returned assignedLicenses %s, want exactly SPB", licenses(ls))
	} else if dp := ls[0].GetDisabledPlans(); len(dp) != 0 {
		t.Errorf("assignLicense returned disabledPlans %v, want []", dp)
	}
	if after := findSKU(ctx, t, c, skuBusinessPremium); i32(after.GetConsumedUnits()) != i32(spb.GetConsumedUnits())+1 {
		t.Errorf("consumedUnits after assign = %d, want %d", i32(after.GetConsumedUnits()), i32(spb.GetConsumedUnits())+1)
	}

	ld, err := c.Users().ByUserId(upn).LicenseDetails().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET /users/%s/licenseDetails: %s", upn, describe(err))
	}
	if n := len(ld.GetValue()); n != 1 {
		t.Fatalf("licenseDetails has %d entries, want 1", n)
	}
	d := ld.GetValue()[0]
	if str(d.GetSkuPartNumber()) != "SPB" || d.GetSkuId() == nil || *d.GetSkuId() != skuBusinessPremium {
		t.Errorf("licenseDetails = skuId %v skuPartNumber %s, want %s SPB", d.GetSkuId(), str(d.GetSkuPartNumber()), skuBusinessPremium)
	}
	if d.GetId() == nil || *d.GetId() == "" {
		t.Error("licenseDetails has no id")
	}
	wantPlans := map[uuid.UUID]bool{}
	for _, p := range spb.GetServicePlans() {
		if p.GetServicePlanId() != nil {
			wantPlans[*p.GetServicePlanId()] = true
		}
	}
	gotPlans := map[uuid.UUID]bool{}
	for _, p := range d.GetServicePlans() {
		if p.GetServicePlanId() == nil || p.GetServicePlanName() == nil || p.GetProvisioningStatus() == nil {
			t.Errorf("licenseDetails servicePlan missing id, name or provisioningStatus: %v %s %s",
				p.GetServicePlanId(), str(p.GetServicePlanName()), str(p.GetProvisioningStatus()))
			continue
		}
		gotPlans[*p.GetServicePlanId()] = true
	}
	if len(gotPlans) != len(wantPlans) || !subset(wantPlans, gotPlans) {
		t.Errorf("licenseDetails has %d service plans, the SKU %d; they differ", len(gotPlans), len(wantPlans))
	}

	body := users.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses([]models.AssignedLicenseable{})
	body.SetRemoveLicenses([]uuid.UUID{skuBusinessPremium})
	got, err = c.Users().ByUserId(upn).AssignLicense().Post(ctx, body, nil)
	if err != nil {
		t.Fatalf("assignLicense remove SPB from %s: %s", upn, describe(err))
	}
	if ls := got.GetAssignedLicenses(); len(ls) != 0 {
		t.Errorf("after removal assignLicense returned assignedLicenses %s, want []", licenses(ls))
	}
	if after := findSKU(ctx, t, c, skuBusinessPremium); i32(after.GetConsumedUnits()) != i32(spb.GetConsumedUnits()) {
		t.Errorf("consumedUnits after removal = %d, want %d", i32(after.GetConsumedUnits()), i32(spb.GetConsumedUnits()))
	}
	ld, err = c.Users().ByUserId(upn).LicenseDetails().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET licenseDetails after removal: %s", describe(err))
	}
	if n := len(ld.GetValue()); n != 0 {
		t.Errorf("licenseDetails after removal has %d entries, want 0", n)
	}
}

func subset(a, b map[uuid.UUID]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func licenses(ls []models.AssignedLicenseable) string {
	var s []string
	for _, l := range ls {
		s = append(s, fmt.Sprintf("%v(disabled %v)", l.GetSkuId(), l.GetDisabledPlans()))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// testErrors checks the Graph error answers the SDK turns into ODataError.
func testErrors(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string) {
	t.Run("NoSeatsLeft", func(t *testing.T) { testNoSeatsLeft(ctx, t, c, run) })

	t.Run("NoUsageLocation", func(t *testing.T) {
		const msg = "License assignment cannot be done for user with invalid usage location."
		// The demo user without a usage location.
		all, _, _ := listUsers(ctx, t, c, &users.UsersRequestBuilderGetQueryParameters{
			Select: []string{"id", "userPrincipalName", "usageLocation"}, Top: ptr(int32(999)),
		}, false)
		var none []string
		for _, u := range all {
			if u.GetUsageLocation() == nil || *u.GetUsageLocation() == "" {
				none = append(none, str(u.GetUserPrincipalName()))
			}
		}
		if len(none) != 1 {
			t.Errorf("%d of %d users have no usageLocation (%v), want exactly 1 in the demo", len(none), len(all), none)
		}
		for _, upn := range none {
			_, err := assign(ctx, c, upn, []uuid.UUID{skuOffice365E3}, nil)
			wantODataError(t, "assign E3 to demo user "+upn+" without usageLocation", err, 400, "Request_BadRequest", msg)
		}
		// A user created without one.
		alias := "nolocation-" + run
		createUser(ctx, t, c, alias, "")
		_, err := assign(ctx, c, alias+"@"+domain, []uuid.UUID{skuOffice365E3}, nil)
		wantODataError(t, "assign E3 to new user without usageLocation", err, 400, "Request_BadRequest", msg)
	})

	t.Run("NotFound", func(t *testing.T) {
		upn := "nobody-" + run + "@" + domain
		_, err := c.Users().ByUserId(upn).Get(ctx, nil)
		wantODataError(t, "GET /users/"+upn, err, 404, "Request_ResourceNotFound")
		_, err = assign(ctx, c, upn, []uuid.UUID{skuOffice365E3}, nil)
		wantODataError(t, "assignLicense for "+upn, err, 404, "Request_ResourceNotFound")
		if s, panicked := errorText(err); panicked || s == "" {
			t.Errorf("err.Error() = %q (panicked %v), want the message", s, panicked)
		}
	})
}

// testNoSeatsLeft fills Exchange Online (Plan 1) with new users, then
// expects one more assignment to fail with Graph's "no licenses" error.
func testNoSeatsLeft(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string) {
	const limit = 50
	var filled []string
	defer func() { // free the seats again for whoever runs next
		for _, upn := range filled {
			if _, err := assign(ctx, c, upn, nil, []uuid.UUID{skuExchangePlan1}); err != nil {
				t.Errorf("remove EXCHANGESTANDARD from %s: %s", upn, describe(err))
			}
		}
	}()
	for i := 0; ; i++ {
		sku := findSKU(ctx, t, c, skuExchangePlan1)
		pu := sku.GetPrepaidUnits()
		if i32(sku.GetConsumedUnits()) >= i32(pu.GetEnabled())-i32(pu.GetWarning()) {
			break
		}
		if i == limit {
			t.Fatalf("still not full after %d assignments: consumed %d of %d", limit, i32(sku.GetConsumedUnits()), i32(pu.GetEnabled()))
		}
		alias := fmt.Sprintf("fill%d-%s", i, run)
		createUser(ctx, t, c, alias, "US")
		if _, err := assign(ctx, c, alias+"@"+domain, []uuid.UUID{skuExchangePlan1}, nil); err != nil {
			t.Fatalf("assign EXCHANGESTANDARD with seats left (consumed %d of %d): %s",
				i32(sku.GetConsumedUnits()), i32(pu.GetEnabled()), describe(err))
		}
		filled = append(filled, alias+"@"+domain)
	}
	before := findSKU(ctx, t, c, skuExchangePlan1)
	alias := "overflow-" + run
	createUser(ctx, t, c, alias, "US")
	got, err := assign(ctx, c, alias+"@"+domain, []uuid.UUID{skuExchangePlan1}, nil)
	if err == nil {
		t.Fatalf("assign EXCHANGESTANDARD to a full SKU (consumed %d of %d) succeeded: assignedLicenses %s",
			i32(before.GetConsumedUnits()), i32(before.GetPrepaidUnits().GetEnabled()), licenses(got.GetAssignedLicenses()))
	}
	wantODataError(t, "assign to a full SKU", err, 400, "Request_BadRequest", "available", "licenses")
	if after := findSKU(ctx, t, c, skuExchangePlan1); i32(after.GetConsumedUnits()) != i32(before.GetConsumedUnits()) {
		t.Errorf("consumedUnits changed by a failed assignment: %d -> %d", i32(before.GetConsumedUnits()), i32(after.GetConsumedUnits()))
	}
	ld, err := c.Users().ByUserId(alias+"@"+domain).LicenseDetails().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET licenseDetails of %s: %s", alias, describe(err))
	}
	if n := len(ld.GetValue()); n != 0 {
		t.Errorf("user refused a license has %d licenseDetails, want 0", n)
	}
}

// testPaging creates 1,100 unlicensed users and pages through advanced
// queries with the SDK's PageIterator.
func testPaging(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string) {
	const n = 1100
	var mu sync.Mutex
	created := map[string]bool{}
	start := time.Now()
	err := forEach(n, 8, func(i int) error {
		alias := fmt.Sprintf("page%04d-%s", i, run)
		u, err := c.Users().Post(ctx, newUserBody(alias, "FR"), nil)
		if err != nil {
			return fmt.Errorf("POST /users %s: %s", alias, describe(err))
		}
		if u.GetId() == nil {
			return fmt.Errorf("POST /users %s: no id", alias)
		}
		mu.Lock()
		created[*u.GetId()] = true
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("created %d users in %v", len(created), time.Since(start).Round(time.Millisecond))

	all, count, pages := listUsers(ctx, t, c, &users.UsersRequestBuilderGetQueryParameters{
		Filter: ptr("assignedLicenses/$count eq 0"),
		Count:  ptr(true),
		Top:    ptr(int32(999)),
		Select: []string{"id", "userPrincipalName", "assignedLicenses"},
	}, true)
	seen := map[string]int{}
	for _, u := range all {
		seen[str(u.GetId())]++
		if ls := u.GetAssignedLicenses(); len(ls) != 0 {
			t.Errorf("unlicensed query returned %s with assignedLicenses %s", str(u.GetUserPrincipalName()), licenses(ls))
		}
	}
	t.Logf("unlicensed users: %d in %d pages, @odata.count %v", len(all), pages, deref(count))
	if len(all) < n {
		t.Errorf("unlicensed query returned %d users, want >= %d", len(all), n)
	}
	if pages < 2 {
		t.Errorf("unlicensed query of %d users with $top=999 came in %d page(s), want >= 2", len(all), pages)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("user %s returned %d times across pages", id, k)
		}
	}
	missing := 0
	for id := range created {
		if seen[id] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d new unlicensed users were not returned", missing, n)
	}
	if count == nil || *count != int64(len(all)) {
		t.Errorf("@odata.count = %v, want %d (the number of users iterated)", deref(count), len(all))
	}

	// Users holding Business Premium, as the docs example (no advanced
	// headers) and as an advanced query with $count.
	spb := findSKU(ctx, t, c, skuBusinessPremium)
	filter := "assignedLicenses/any(x:x/skuId eq " + skuBusinessPremium.String() + ")"
	for _, advanced := range []bool{false, true} {
		q := &users.UsersRequestBuilderGetQueryParameters{
			Filter: ptr(filter),
			Select: []string{"id", "userPrincipalName", "assignedLicenses"},
		}
		if advanced {
			q.Count = ptr(true)
		}
		holders, count, _ := listUsers(ctx, t, c, q, advanced)
		if int32(len(holders)) != i32(spb.GetConsumedUnits()) {
			t.Errorf("%s (advanced %v) returned %d users, want consumedUnits = %d", filter, advanced, len(holders), i32(spb.GetConsumedUnits()))
		}
		for _, u := range holders {
			if !hasSKU(u.GetAssignedLicenses(), skuBusinessPremium) {
				t.Errorf("%s returned %s holding %s", filter, str(u.GetUserPrincipalName()), licenses(u.GetAssignedLicenses()))
			}
		}
		if advanced && (count == nil || *count != int64(len(holders))) {
			t.Errorf("%s: @odata.count = %v, want %d", filter, deref(count), len(holders))
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return "<absent>"
	}
	return *p
}

// testDeleteRestoreMe soft-deletes a user, finds it among the deleted
// items, restores it, and reads /me.
func testDeleteRestoreMe(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, run string) {
	alias := "restore-" + run
	id := str(createUser(ctx, t, c, alias, "US").GetId())

	if err := c.Users().ByUserId(id).Delete(ctx, nil); err != nil {
		t.Fatalf("DELETE /users/%s: %s", id, describe(err))
	}
	_, err := c.Users().ByUserId(id).Get(ctx, nil)
	wantODataError(t, "GET of a deleted user", err, 404, "Request_ResourceNotFound")

	deleted, err := c.Directory().DeletedItems().GraphUser().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET /directory/deletedItems/graph.user: %s", describe(err))
	}
	found := false
	for _, u := range deleted.GetValue() {
		if str(u.GetId()) == id {
			found = true
			if !strings.EqualFold(str(u.GetUserPrincipalName()), alias+"@"+domain) {
				t.Errorf("deleted user %s has userPrincipalName %q", id, str(u.GetUserPrincipalName()))
			}
		}
	}
	if !found {
		t.Errorf("deleted user %s not among the %d deletedItems users", id, len(deleted.GetValue()))
	}

	obj, err := c.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(ctx, nil)
	if err != nil {
		t.Fatalf("POST /directory/deletedItems/%s/restore: %s", id, describe(err))
	}
	u, ok := obj.(models.Userable)
	if !ok {
		t.Fatalf("restore returned %T, want a models.Userable (is @odata.type #microsoft.graph.user set?)", obj)
	}
	if str(u.GetId()) != id {
		t.Errorf("restore returned id %s, want %s", str(u.GetId()), id)
	}
	if _, err := c.Users().ByUserId(id).Get(ctx, nil); err != nil {
		t.Errorf("GET restored user %s: %s", id, describe(err))
	}

	me, err := c.Me().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET /me: %s", describe(err))
	}
	if !strings.EqualFold(str(me.GetUserPrincipalName()), adminUPN) {
		t.Errorf("GET /me userPrincipalName = %q, want %s", str(me.GetUserPrincipalName()), adminUPN)
	}
}
