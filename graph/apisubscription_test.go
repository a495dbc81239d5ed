package graph

import (
	"net/http"
	"strings"
	"testing"
)

// subscriptionTruth is what Graph's read-only resources say of one
// subscription and its product.
type subscriptionTruth struct {
	TotalLicenses int    // directory/subscriptions/{id}
	Status        string // directory/subscriptions/{id}
	Enabled       int    // subscribedSkus prepaidUnits.enabled
	Consumed      int    // subscribedSkus consumedUnits
}

func (f *fixture) subscriptionTruth(t *testing.T, tf *tenantFixture, id, sku string) subscriptionTruth {
	t.Helper()
	s := f.get(t, tf, callerReader, "/v1.0/directory/subscriptions/"+id).object(t)
	k := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/"+sku).object(t)
	return subscriptionTruth{TotalLicenses: int(s["totalLicenses"].(float64)), Status: s["status"].(string),
		Enabled: int(k["prepaidUnits"].(map[string]any)["enabled"].(float64)), Consumed: int(k["consumedUnits"].(float64))}
}

// TestAPISubscriptionsBuyAddRemove buys a product, assigns its seats at
// once, adds and removes licenses, and checks after every change what
// directory/subscriptions and subscribedSkus say.
func TestAPISubscriptionsBuyAddRemove(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	r := f.send(t, tf, callerBilling, "POST", "/api/subscriptions", `{"skuId": "enterprisepack", "quantity": 1, "termDuration": "P1Y"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("buy: %d %s", r.status, r.body)
	}
	bought := r.object(t)
	id := bought["id"].(string)
	now := f.clock.Now().UTC()
	want := map[string]any{"offerId": skuNotOwned, "offerName": "Office 365 E3", "skuPartNumber": "ENTERPRISEPACK", "quantity": 1.0,
		"status": "active", "lifecycleStatus": "Enabled", "termDuration": "P1Y", "billingCycle": "annual", "autoRenewEnabled": true,
		"isTrial": false, "ownerType": "Company", "creationDate": now.Format("2006-01-02T15:04:05Z"),
		"commitmentEndDate": now.AddDate(1, 0, 0).Format("2006-01-02T15:04:05Z"), "cancellationAllowedUntilDate": now.AddDate(0, 0, 7).Format("2006-01-02T15:04:05Z")}
	got := map[string]any{}
	for k := range want {
		got[k] = bought[k]
	}
	if d := diff(want, got); d != "" {
		t.Errorf("bought (-want +got):\n%s", d)
	}
	u := f.freshUser(t, tf)
	r = f.send(t, tf, callerLicense, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses": [{"skuId": "`+skuNotOwned+`"}], "removeLicenses": []}`)
	if r.status != http.StatusOK {
		t.Fatalf("assign a bought seat at once: %d %s", r.status, r.body)
	}
	steps := []struct {
		name, method, body string
		status             int
		want               subscriptionTruth
		message            string
	}{
		{"dry-run add", "PATCH", `{"quantity": 4, "dryRun": true}`, 200, subscriptionTruth{1, "Enabled", 1, 1}, ""},
		{"add", "PATCH", `{"quantity": 4}`, 200, subscriptionTruth{4, "Enabled", 4, 1}, ""},
		{"remove", "PATCH", `{"quantity": 2}`, 200, subscriptionTruth{2, "Enabled", 2, 1}, ""},
		{"remove below assigned", "PATCH", `{"quantity": 0}`, 400, subscriptionTruth{2, "Enabled", 2, 1},
			"1 licenses of Office 365 E3 are assigned, more than the 0 that would remain: unassign 1 licenses of Office 365 E3 first."},
		{"negative", "PATCH", `{"quantity": -1}`, 400, subscriptionTruth{2, "Enabled", 2, 1}, ""},
		{"status with a quantity", "PATCH", `{"quantity": 1, "status": "deleted"}`, 400, subscriptionTruth{2, "Enabled", 2, 1}, ""},
		{"nothing to change", "PATCH", `{}`, 400, subscriptionTruth{2, "Enabled", 2, 1}, ""},
		{"auto-renew off", "PATCH", `{"autoRenewEnabled": false}`, 200, subscriptionTruth{2, "Enabled", 2, 1}, ""},
	}
	for _, st := range steps {
		r := f.send(t, tf, callerBilling, st.method, "/api/subscriptions/"+id, st.body)
		if r.status != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, r.status, st.status, r.body)
		}
		if st.status != 200 {
			e := r.envelope(t)
			if st.message != "" && e.Error.Message != st.message {
				t.Errorf("%s: message (-want +got):\n-%s\n+%s", st.name, st.message, e.Error.Message)
			}
		}
		if d := diff(st.want, f.subscriptionTruth(t, tf, id, skuNotOwned)); d != "" {
			t.Errorf("%s: Graph says (-want +got):\n%s", st.name, d)
		}
	}
	if got := f.get(t, tf, callerReader, "/api/subscriptions/"+id).object(t)["autoRenewEnabled"]; got != false {
		t.Errorf("autoRenewEnabled = %v, want false", got)
	}
	var ids []string
	for _, v := range f.get(t, tf, callerReader, "/api/subscriptions").values(t) {
		ids = append(ids, v["id"].(string))
	}
	if !strings.Contains(strings.Join(ids, " "), id) || len(ids) != 5 {
		t.Errorf("list: %v, want the fixture's 4 and %s", ids, id)
	}
}

// TestAPISubscriptionsRefusals checks who may change subscriptions, bad
// orders and dry-run purchases: nothing is bought.
func TestAPISubscriptionsRefusals(t *testing.T) {
	f := newFixture(t)
	tf := f.a
	tests := []struct {
		name, caller, method, path, body string
		status                           int
	}{
		{"license admin buys", callerLicense, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 403},
		{"reader buys", callerReader, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 403},
		{"ordinary user buys", callerOrdinary, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 403},
		{"no token", callerNone, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 401},
		{"license admin adds", callerLicense, "PATCH", "/api/subscriptions/" + tf.subs[skuE3].ID, `{"quantity": 200}`, 403},
		{"ordinary user reads", callerOrdinary, "GET", "/api/subscriptions", "", 403},
		{"reader reads", callerReader, "GET", "/api/subscriptions/" + tf.subs[skuE3].ID, "", 200},
		{"unknown product", callerBilling, "POST", "/api/subscriptions", `{"skuId": "NOPE", "quantity": 1}`, 400},
		{"no quantity", callerBilling, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK"}`, 400},
		{"bad term", callerGlobal, "POST", "/api/subscriptions", `{"skuId": "ENTERPRISEPACK", "quantity": 1, "termDuration": "P3Y"}`, 400},
		{"not JSON", callerGlobal, "POST", "/api/subscriptions", `quantity=1`, 400},
		{"bad dryRun", callerGlobal, "POST", "/api/subscriptions?dryRun=maybe", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 400},
		{"dry run", callerGlobal, "POST", "/api/subscriptions?dryRun=true", `{"skuId": "ENTERPRISEPACK", "quantity": 1}`, 200},
		{"unknown subscription", callerBilling, "PATCH", "/api/subscriptions/00000000-0000-4000-8000-000000000000", `{"quantity": 1}`, 404},
		{"another tenant's subscription", callerBilling, "PATCH", "/api/subscriptions/" + f.b.subs[skuE3].ID, `{"quantity": 1}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.send(t, tf, tt.caller, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if r.status >= 400 {
				r.envelope(t)
			}
		})
	}
	r := f.get(t, tf, callerReader, "/v1.0/subscribedSkus/ENTERPRISEPACK")
	if r.status != http.StatusNotFound {
		t.Errorf("after refusals and a dry run, ENTERPRISEPACK is owned: %d %s", r.status, r.body)
	}
	if got := f.subscriptionTruth(t, tf, tf.subs[skuE3].ID, skuE3); got.TotalLicenses != 100 {
		t.Errorf("refused add changed E3: %+v", got)
	}
}
