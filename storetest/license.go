package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

func testAssignRules(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	full := f.User("full@contoso.example", "FR")
	f.Assign(full.ID, O365E3) // E3 now has no seat left
	u := f.User("u@contoso.example", "US")
	noLoc := f.User("noloc@contoso.example", "")
	f.Assign(u.ID, ExchangePlan1)
	must(t, f.S.DeleteUser(ctx, f.Sys, f.User("gone@contoso.example", "FR").ID))
	unknown := "00000000-0000-4000-8000-000000000000"

	tests := []struct {
		name string
		p    allot.Principal
		user string
		ch   allot.LicenseChange
		want string
	}{
		{"nothing to do", f.Admin(), u.ID, allot.LicenseChange{}, allot.EINVALID},
		{"user missing", f.Admin(), "missing@contoso.example", add(BusinessPremium), allot.ENOTFOUND},
		{"user deleted", f.Admin(), "gone@contoso.example", add(BusinessPremium), allot.ENOTFOUND},
		{"no usage location", f.Admin(), noLoc.ID, add(BusinessPremium), allot.EUSAGELOCATION},
		{"SKU not owned", f.Admin(), u.ID, add(O365E5), allot.EINVALIDLICENSE},
		{"SKU unknown", f.Admin(), u.ID, add(unknown), allot.EINVALIDLICENSE},
		{"not a GUID", f.Admin(), u.ID, add("E3"), allot.EINVALID},
		{"no seat", f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: O365E3, DisabledPlans: []string{PlanExchange2}}}}, allot.ECOUNTVIOLATION},
		{"mutually exclusive", f.Admin(), u.ID, add(ExchangePlan2), allot.EMUTUALLYEXCLUSIVE},
		{"exclusive through a bundle", f.Admin(), u.ID, add(BusinessPremium, ExchangePlan2), allot.EMUTUALLYEXCLUSIVE},
		{"dependency left behind", f.Admin(), full.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangeArchive}}, Remove: []string{O365E3}}, allot.EDEPENDENCY},
		{"disabled plan not in SKU", f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan1, DisabledPlans: []string{PlanTeams}}}}, allot.EINVALIDDISABLEPLAN},
		{"disabled plan not a GUID", f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan1, DisabledPlans: []string{"x"}}}}, allot.EINVALID},
		{"add and remove one SKU", f.Admin(), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: ExchangePlan1}}, Remove: []string{ExchangePlan1}}, allot.EINVALID},
		{"added twice", f.Admin(), u.ID, add(BusinessPremium, BusinessPremium), allot.EINVALID},
		{"remove not held", f.Admin(), u.ID, remove(O365E3), allot.ELICENSENOTHELD},
		{"billing admin", f.Admins[allot.RoleBillingAdmin], u.ID, add(BusinessPremium), allot.EFORBIDDEN},
		{"global reader", f.Admins[allot.RoleGlobalReader], u.ID, add(BusinessPremium), allot.EFORBIDDEN},
		{"ordinary user", f.Plain, u.ID, add(BusinessPremium), allot.EFORBIDDEN},
	}
	before := snapshot(t, f)
	for _, tt := range tests {
		_, err := f.S.AssignLicenses(ctx, tt.p, tt.user, tt.ch)
		wantCode(t, tt.name, err, tt.want)
	}
	diff(t, "refused changes changed nothing", snapshot(t, f), before)

	// The dependency rule also stops adding the add-on alone.
	lone := f.User("lone@contoso.example", "FR")
	_, err := f.S.AssignLicenses(ctx, f.Admin(), lone.ID, add(ExchangeArchive))
	wantCode(t, "add-on without its base", err, allot.EDEPENDENCY)

	// The allowed roles may assign; a License Administrator and a User
	// Administrator as well as the Global Administrator.
	for i, r := range []allot.Role{allot.RoleGlobalAdmin, allot.RoleLicenseAdmin, allot.RoleUserAdmin} {
		v := f.User("r"+string(rune('0'+i))+"@contoso.example", "FR")
		_, err := f.S.AssignLicenses(ctx, f.Admins[r], v.ID, add(BusinessPremium))
		wantCode(t, string(r)+" assigns", err, "")
		_, err = f.S.AssignLicenses(ctx, f.Admins[r], v.UserPrincipalName, remove(BusinessPremium))
		wantCode(t, string(r)+" unassigns", err, "")
	}
	f.CheckCounters()
}

// snapshot captures every count a refused change must leave alone.
func snapshot(t *testing.T, f *Fixture) map[string]int {
	t.Helper()
	skus, err := f.S.FindSubscribedSKUs(context.Background(), f.Sys)
	must(t, err)
	out := map[string]int{}
	for _, s := range skus {
		out[s.SKU.PartNumber] = s.Consumed
	}
	ev, err := f.S.FindAuditEvents(context.Background(), f.Sys, allot.AuditFilter{Limit: 1000})
	must(t, err)
	out["audit events"] = len(ev)
	return out
}

func testAssignAtomic(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	f.Assign(f.User("first@contoso.example", "FR").ID, O365E3)
	u := f.User("u@contoso.example", "FR")
	f.Assign(u.ID, ExchangePlan1)
	before := snapshot(t, f)
	// Removing Plan 1 and adding Business Premium would succeed; E3 has no
	// seat left, so the whole call must fail and change nothing.
	_, err := f.S.AssignLicenses(ctx, f.Admin(), u.ID, allot.LicenseChange{
		Add:    []allot.AssignedLicense{{SKUID: BusinessPremium, DisabledPlans: []string{PlanExchange1}}, {SKUID: O365E3}},
		Remove: []string{ExchangePlan1},
	})
	wantCode(t, "one SKU full", err, allot.ECOUNTVIOLATION)
	diff(t, "nothing changed", snapshot(t, f), before)
	got, err := f.S.FindUser(ctx, f.Sys, u.ID)
	must(t, err)
	diff(t, "licenses unchanged", skuIDs(got.Licenses), []string{ExchangePlan1})

	// The same swap without E3 goes through atomically.
	got, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, allot.LicenseChange{
		Add: []allot.AssignedLicense{{SKUID: BusinessPremium}}, Remove: []string{ExchangePlan1},
	})
	must(t, err)
	diff(t, "swapped", skuIDs(got.Licenses), []string{BusinessPremium})
	diff(t, "Plan 1 seat freed", f.SKU(ExchangePlan1).Consumed, 0)
	f.CheckCounters()
}

// testDisabledPlans checks the documented rule: re-adding a held SKU
// replaces its disabled plans (it does not merge them) and takes no seat.
func testDisabledPlans(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := f.User("u@contoso.example", "FR")
	ch := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: BusinessPremium, DisabledPlans: []string{PlanTeams, PlanExchange1}}}}
	got, err := f.S.AssignLicenses(ctx, f.Admin(), u.ID, ch)
	must(t, err)
	diff(t, "disabled plans sorted", got.Licenses[0].DisabledPlans, sorted([]string{PlanTeams, PlanExchange1}))
	// With its Exchange plan disabled, Business Premium coexists with Plan 2.
	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, add(ExchangePlan2))
	must(t, err)
	// Re-enabling Exchange in Business Premium would now clash.
	_, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, add(BusinessPremium))
	wantCode(t, "re-enable clashing plan", err, allot.EMUTUALLYEXCLUSIVE)
	ch.Add[0].DisabledPlans = []string{PlanExchange1}
	got, err = f.S.AssignLicenses(ctx, f.Admin(), u.ID, ch)
	must(t, err)
	diff(t, "replaced, not merged", got.License(BusinessPremium).DisabledPlans, []string{PlanExchange1})
	diff(t, "no extra seat", f.SKU(BusinessPremium).Consumed, 1)
	got, err = f.S.FindUser(ctx, f.Sys, u.ID)
	must(t, err)
	diff(t, "stored", got.License(BusinessPremium).DisabledPlans, []string{PlanExchange1})
	f.CheckCounters()
}

func testSelfService(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	buyer := f.User("buyer@contoso.example", "US")
	colleague := f.User("colleague@contoso.example", "US")
	buyerP := allot.Principal{TenantID: f.Tenant.ID, UserID: buyer.ID, Name: buyer.UserPrincipalName, Via: allot.ChannelAPI}
	ss := &allot.Subscription{SKUID: BusinessBasic, Quantity: 2, Status: allot.StatusEnabled, OwnerType: allot.OwnerUser, PurchasedBy: buyer.ID}
	must(t, f.S.CreateSubscription(ctx, f.Sys, ss))

	_, err := f.S.AssignLicenses(ctx, f.Admin(), colleague.ID, add(BusinessBasic))
	wantCode(t, "admin assigning a self-service seat", err, allot.ESELFSERVICE)
	if msg := allot.ErrorMessage(err); !strings.Contains(msg, "Take over") {
		t.Errorf("self-service refusal should name the way out, got %q", msg)
	}
	_, err = f.S.AssignLicenses(ctx, buyerP, colleague.ID, add(BusinessBasic))
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), colleague.ID, remove(BusinessBasic))
	wantCode(t, "admin unassigning a self-service seat", err, allot.ESELFSERVICE)
	_, err = f.S.AssignLicenses(ctx, buyerP, colleague.ID, add(BusinessPremium))
	wantCode(t, "purchaser assigning admin seats", err, allot.EFORBIDDEN)
	sku := f.SKU(BusinessBasic)
	diff(t, "self-service pool", []int{sku.Consumed, sku.AdminPool().Capacity, sku.Pools[0].Capacity}, []int{1, 0, 2})
	_, err = f.S.AssignLicenses(ctx, buyerP, colleague.ID, remove(BusinessBasic))
	must(t, err)
	f.CheckCounters()

	// The purchaser may change several users at once, within their own
	// subscription only.
	third := f.User("third@contoso.example", "US")
	both := []string{colleague.ID, third.ID}
	res, err := f.S.AssignLicensesBulk(ctx, buyerP, allot.BulkLicenseChange{Users: both, Change: add(BusinessBasic), AllOrNothing: true})
	must(t, err)
	diff(t, "purchaser's bulk results", len(res), 2)
	diff(t, "self-service seats taken by bulk", f.SKU(BusinessBasic).Pools[0].Consumed, 2)
	_, err = f.S.AssignLicensesBulk(ctx, buyerP, allot.BulkLicenseChange{Users: both, Change: add(BusinessPremium)})
	wantCode(t, "purchaser's bulk on admin seats", err, allot.EFORBIDDEN)
	f.CheckCounters()
}

func testBulk(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 3)
	var ids []string
	for _, n := range []string{"a", "b", "c", "d"} {
		ids = append(ids, f.User(n+"@contoso.example", "FR").ID)
	}
	noLoc := f.User("noloc@contoso.example", "")
	before := snapshot(t, f)
	// Four users for three seats, all or nothing: refused whole.
	_, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: add(O365E3), AllOrNothing: true})
	wantCode(t, "all or nothing, one short", err, allot.ECOUNTVIOLATION)
	diff(t, "nothing assigned", snapshot(t, f), before)

	// Per user: three succeed, the fourth and the user without a location fail.
	res, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: append(ids, noLoc.UserPrincipalName, "ghost@contoso.example"), Change: add(O365E3)})
	must(t, err)
	var codes []string
	for _, r := range res {
		codes = append(codes, allot.ErrorCode(r.Err))
	}
	diff(t, "per-user results", codes, []string{"", "", "", allot.ECOUNTVIOLATION, allot.EUSAGELOCATION, allot.ENOTFOUND})
	diff(t, "three assigned", f.SKU(O365E3).Consumed, 3)
	f.CheckCounters()

	// Idempotent unassign: users without the SKU count as done.
	res, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: remove(O365E3), AllOrNothing: true, SkipUnchanged: true})
	must(t, err)
	changed := 0
	for _, r := range res {
		if r.Changed {
			changed++
		}
	}
	diff(t, "changed", changed, 3)
	diff(t, "all freed", f.SKU(O365E3).Consumed, 0)
	_, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: remove(O365E3), AllOrNothing: true})
	wantCode(t, "strict unassign of SKUs not held", err, allot.ELICENSENOTHELD)
	_, err = f.S.AssignLicensesBulk(ctx, f.Admins[allot.RoleGlobalReader], allot.BulkLicenseChange{Users: ids, Change: add(O365E3)})
	wantCode(t, "reader bulk", err, allot.EFORBIDDEN)

	// Dry run: results as if applied, nothing written.
	before = snapshot(t, f)
	res, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: add(O365E3), DryRun: true})
	must(t, err)
	codes = nil
	for _, r := range res {
		codes = append(codes, allot.ErrorCode(r.Err))
	}
	diff(t, "dry-run results", codes, []string{"", "", "", allot.ECOUNTVIOLATION})
	diff(t, "dry run wrote nothing", snapshot(t, f), before)

	// A user listed twice (by id and UPN) is changed once.
	res, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: []string{ids[0], "A@contoso.example"}, Change: add(O365E3), AllOrNothing: true})
	must(t, err)
	diff(t, "duplicate", []bool{res[0].Changed, res[1].Changed, res[1].Err == nil}, []bool{true, false, true})
	diff(t, "one seat for a duplicate", f.SKU(O365E3).Consumed, 1)
	// Re-adding with the same disabled plans changes nothing.
	res, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids[:1], Change: add(O365E3), SkipUnchanged: true})
	must(t, err)
	diff(t, "unchanged re-add", []bool{res[0].Changed, res[0].Err == nil}, []bool{false, true})
	f.CheckCounters()
}

// testBulkLarge crosses the chunk sizes of batched storage paths.
func testBulkLarge(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	f.Subscribe(O365E5, 1300)
	var ids []string
	for i := 0; i < 1234; i++ {
		ids = append(ids, f.User(fmt.Sprintf("bulk%04d@contoso.example", i), "US").ID)
	}
	res, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: add(O365E5), AllOrNothing: true})
	must(t, err)
	diff(t, "results", len(res), len(ids))
	diff(t, "assigned", f.SKU(O365E5).Consumed, 1234)
	f.CheckCounters()
	// One audit event for the SKU, one subject row per user.
	ev, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{SKUID: O365E5, Limit: 1000})
	must(t, err)
	diff(t, "bulk audit event", []any{ev[0].Action, ev[0].TargetType, string(ev[0].After)}, []any{allot.AuditLicenseAdd, "users", `{"users":1234}`})
	mine, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{UserID: ids[1233]})
	must(t, err)
	diff(t, "the bulk event seen from one user", []any{mine[0].ID, mine[0].TargetID, mine[0].SKUID, mine[1].Action}, []any{ev[0].ID, ids[1233], O365E5, allot.AuditUserCreate})
	var after struct{ SKUID string }
	must(t, json.Unmarshal(mine[0].After, &after))
	diff(t, "the user's after", after.SKUID, O365E5)
	users, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{SKUID: O365E5, Limit: 1000})
	must(t, err)
	diff(t, "holders page", len(users), 1000)
	// One seat short: a clean refusal, nothing assigned.
	more := make([]string, 0, 70)
	for i := 0; i < 67; i++ {
		more = append(more, f.User(fmt.Sprintf("more%02d@contoso.example", i), "US").ID)
	}
	_, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: more, Change: add(O365E5), AllOrNothing: true})
	wantCode(t, "one seat short", err, allot.ECOUNTVIOLATION)
	diff(t, "nothing more assigned", f.SKU(O365E5).Consumed, 1234)
	_, err = f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: remove(O365E5), AllOrNothing: true})
	must(t, err)
	diff(t, "all unassigned", f.SKU(O365E5).Consumed, 0)
	f.CheckCounters()
}
