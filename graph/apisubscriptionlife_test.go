package graph

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// subscriptionStage is what Graph's read-only resources say of a
// subscription and its product at one stage of its life.
type subscriptionStage struct {
	Status        string         // directory/subscriptions/{id} status
	NextLifecycle any            // directory/subscriptions/{id} nextLifecycleDateTime
	Prepaid       map[string]any // subscribedSkus prepaidUnits
	Capability    string         // subscribedSkus capabilityStatus
}

func (f *fixture) subscriptionStage(t *testing.T, tf *tenantFixture, id, sku string) subscriptionStage {
	t.Helper()
	s := f.get(t, tf, callerReader, "/v1.0/directory/subscriptions/"+id).object(t)
	k := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/"+sku).object(t)
	return subscriptionStage{Status: s["status"].(string), NextLifecycle: s["nextLifecycleDateTime"],
		Prepaid: k["prepaidUnits"].(map[string]any), Capability: k["capabilityStatus"].(string)}
}

// TestAPISubscriptionsCancelAndLifecycle cancels through PATCH status
// (refused outside the window, with what to do instead), turns recurring
// billing off, and lets the lifecycle take the subscription through
// Warning, Suspended and Deleted, checking what Graph says at each stage.
func TestAPISubscriptionsCancelAndLifecycle(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	r := f.send(t, tf, callerBilling, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 2}`)
	if r.status != http.StatusCreated {
		t.Fatalf("buy: %d %s", r.status, r.body)
	}
	id := r.object(t)["id"].(string)
	end := f.clock.Now().UTC().AddDate(0, 1, 0)
	at := func(d time.Duration) string { return end.Add(d).Format("2006-01-02T15:04:05Z") }
	units := func(enabled, warning, suspended float64) map[string]any {
		return map[string]any{"enabled": enabled, "warning": warning, "suspended": suspended, "lockedOut": 0.0}
	}
	f.clock.Add(8 * 24 * time.Hour)
	r = f.send(t, tf, callerBilling, "PATCH", "/api/subscriptions/"+id, `{"status": "deleted"}`)
	want := "Subscription " + id + " of Office 365 E3 can no longer be cancelled: its cancellation window closed on " +
		end.AddDate(0, -1, 7).Format(time.DateOnly) + ". Turn recurring billing off instead (autoRenewEnabled false); it then ends with its term on " +
		end.Format(time.DateOnly) + "."
	if e := r.envelope(t); r.status != 400 || e.Error.Message != want {
		t.Errorf("cancel outside the window: %d (-want +got):\n-%s\n+%s", r.status, want, e.Error.Message)
	}
	for _, body := range []string{`{"status": "suspended"}`, `{"status": "deleted", "autoRenewEnabled": false}`} {
		if r := f.send(t, tf, callerBilling, "PATCH", "/api/subscriptions/"+id, body); r.status != 400 {
			t.Errorf("%s: %d, want 400", body, r.status)
		}
	}
	if r := f.send(t, tf, callerBilling, "PATCH", "/api/subscriptions/"+id, `{"autoRenewEnabled": false}`); r.status != 200 {
		t.Fatalf("auto-renew off: %d %s", r.status, r.body)
	}
	day := 24 * time.Hour
	stages := []struct {
		name string
		at   time.Duration // after the term's end
		want subscriptionStage
	}{
		{"before the term ends", -time.Second, subscriptionStage{"Enabled", at(0), units(2, 0, 0), "Enabled"}},
		{"expired", 0, subscriptionStage{"Warning", at(30 * day), units(0, 2, 0), "Warning"}},
		{"suspended", 30 * day, subscriptionStage{"Suspended", at(120 * day), units(0, 0, 2), "Suspended"}},
		{"deleted", 120 * day, subscriptionStage{"Deleted", nil, units(0, 0, 0), "Deleted"}},
	}
	for _, st := range stages {
		if _, err := f.db.AdvanceSubscriptions(context.Background(), end.Add(st.at)); err != nil {
			t.Fatal(err)
		}
		if d := diff(st.want, f.subscriptionStage(t, tf, id, skuNotOwned)); d != "" {
			t.Errorf("%s: Graph says (-want +got):\n%s", st.name, d)
		}
	}
	if r := f.send(t, tf, callerBilling, "PATCH", "/api/subscriptions/"+id, `{"status": "active"}`); r.status != 400 {
		t.Errorf("renew a deleted subscription: %d, want 400: %s", r.status, r.body)
	}
}

// TestSubscribedSKUSelfServiceUnits checks allot's extension of
// subscribedSku: the seats of a self-service purchase, counted apart.
func TestSubscribedSKUSelfServiceUnits(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	buyer := f.freshUser(t, tf)
	s := &allot.Subscription{SKUID: skuNotOwned, Quantity: 3, OwnerType: allot.OwnerUser, PurchasedBy: buyer.ID}
	must(t, f.db.CreateSubscription(context.Background(), sys(tf.tenant.ID), s))
	k := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/"+skuNotOwned).object(t)
	want := map[string]any{"enabled": 3.0, "consumed": 0.0}
	if d := diff(want, k["selfServiceUnits"]); d != "" {
		t.Errorf("selfServiceUnits (-want +got):\n%s", d)
	}
}

// TestAPISubscriptionTakeover takes a self-service subscription over
// through the API: a dry run changes nothing, then it is admin-managed,
// and Graph counts its seats as the administrators'.
func TestAPISubscriptionTakeover(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	buyer := f.freshUser(t, tf)
	s := &allot.Subscription{SKUID: skuNotOwned, Quantity: 3, OwnerType: allot.OwnerUser, PurchasedBy: buyer.ID}
	must(t, f.db.CreateSubscription(context.Background(), sys(tf.tenant.ID), s))
	path := "/api/subscriptions/" + s.ID + "/takeover"
	steps := []struct {
		name, caller, body string
		status             int
		ownerType          string
		selfService        float64 // selfServiceUnits.enabled after the step
	}{
		{"a License Administrator", callerLicense, `{}`, 403, "User", 3},
		{"dry run", callerBilling, `{"dryRun": true}`, 200, "User", 3},
		{"unknown member", callerBilling, `{"move": "x"}`, 400, "User", 3},
		{"unknown target", callerBilling, `{"moveTo": "00000000-0000-4000-8000-000000000000"}`, 404, "User", 3},
		{"take over", callerGlobal, `{}`, 200, "Company", 0},
		{"twice", callerGlobal, `{}`, 400, "Company", 0},
	}
	for _, st := range steps {
		r := f.send(t, tf, st.caller, "POST", path, st.body)
		if r.status != st.status {
			t.Errorf("%s: %d, want %d: %s", st.name, r.status, st.status, r.body)
		}
		got := f.get(t, tf, callerReader, "/api/subscriptions/"+s.ID).object(t)["ownerType"]
		k := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/"+skuNotOwned).object(t)
		ss := k["selfServiceUnits"].(map[string]any)["enabled"]
		if got != st.ownerType || ss != st.selfService {
			t.Errorf("%s: ownerType %v, selfServiceUnits.enabled %v; want %s, %v", st.name, got, ss, st.ownerType, st.selfService)
		}
	}
}

// TestAPIReclaim reclaims the unused licenses of the fixture's E3 through
// the API, a dry run first.
func TestAPIReclaim(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	before := f.subscriptionTruth(t, tf, tf.subs[skuE3].ID, skuE3)
	r := f.send(t, tf, callerBilling, "POST", "/api/subscriptions/reclaim", `{"skuId": "SPE_E3", "dryRun": true}`)
	if r.status != 200 {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	got := r.object(t)
	unused := float64(before.Enabled - before.Consumed)
	want := map[string]any{"skuId": skuE3, "productName": "Microsoft 365 E3", "unusedLicenses": unused, "assignedLicenses": float64(before.Consumed),
		"reclaimedLicenses": unused, "dryRun": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("dry run %s = %v, want %v", k, got[k], v)
		}
	}
	if since, _ := got["unusedSince"].(string); since == "" {
		t.Errorf("dry run unusedSince = %v, want the instant the unused licenses were bought", got["unusedSince"])
	} else if _, err := time.Parse(time.RFC3339, since); err != nil {
		t.Errorf("dry run unusedSince: %v", err)
	}
	if d := diff(before, f.subscriptionTruth(t, tf, tf.subs[skuE3].ID, skuE3)); d != "" {
		t.Errorf("a dry run changed E3:\n%s", d)
	}
	if r := f.send(t, tf, callerBilling, "POST", "/api/subscriptions/reclaim", `{"skuId": "spe_e3"}`); r.status != 200 {
		t.Fatalf("reclaim: %d %s", r.status, r.body)
	}
	after := f.subscriptionTruth(t, tf, tf.subs[skuE3].ID, skuE3)
	if after.Enabled != before.Consumed || after.Consumed != before.Consumed {
		t.Errorf("after the reclaim %+v, want the %d assigned licenses left", after, before.Consumed)
	}
	for _, tt := range []struct{ caller, body string }{{callerLicense, `{"skuId": "ENTERPRISEPACK"}`}, {callerBilling, `{"skuId": "NOPE"}`}, {callerBilling, `{"sku": "E3"}`}} {
		if r := f.send(t, tf, tt.caller, "POST", "/api/subscriptions/reclaim", tt.body); r.status != 403 && r.status != 400 {
			t.Errorf("%s %s: %d, want a refusal", tt.caller, tt.body, r.status)
		}
	}
}

// TestAPISelfServicePurchase sets a product's self-service policy and has
// an ordinary user buy it for themselves, refused before.
func TestAPISelfServicePurchase(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	order := `{"skuId": "ENTERPRISEPACK", "quantity": 2}`
	steps := []struct {
		name, caller, method, path, body string
		status                           int
	}{
		{"denied by default", callerOrdinary, "POST", "/api/subscriptions/selfService", order, 403},
		{"a License Administrator sets the policy", callerLicense, "PATCH", "/api/policies/selfService/ENTERPRISEPACK", `{"policy": "allowed"}`, 403},
		{"a bad policy", callerBilling, "PATCH", "/api/policies/selfService/ENTERPRISEPACK", `{"policy": "sometimes"}`, 400},
		{"allowed", callerBilling, "PATCH", "/api/policies/selfService/ENTERPRISEPACK", `{"policy": "allowed"}`, 200},
		{"a dry run", callerOrdinary, "POST", "/api/subscriptions/selfService?dryRun=true", order, 200},
		{"bought", callerOrdinary, "POST", "/api/subscriptions/selfService", order, 201},
	}
	for _, st := range steps {
		if r := f.send(t, tf, st.caller, st.method, st.path, st.body); r.status != st.status {
			t.Errorf("%s: %d, want %d: %s", st.name, r.status, st.status, r.body)
		}
	}
	var policy any
	for _, v := range f.get(t, tf, callerReader, "/api/policies/selfService").values(t) {
		if v["skuPartNumber"] == "ENTERPRISEPACK" {
			policy = v["policy"]
		}
	}
	k := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/"+skuNotOwned).object(t)
	if d := diff([]any{"allowed", map[string]any{"enabled": 2.0, "consumed": 0.0}}, []any{policy, k["selfServiceUnits"]}); d != "" {
		t.Errorf("policy and self-service seats (-want +got):\n%s", d)
	}
}
