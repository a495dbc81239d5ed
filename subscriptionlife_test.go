package allot_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

const day = 24 * time.Hour

// paid returns an Enabled yearly subscription of E3 bought at start.
func paid(start time.Time, recurring bool) *allot.Subscription {
	return &allot.Subscription{ID: "s1", SKUID: skuE3, Status: allot.StatusEnabled, Quantity: 5, RecurringBilling: recurring,
		OwnerType: allot.OwnerAdmin, CreatedAt: start, Term: allot.TermYear, CommitmentEndAt: start.AddDate(1, 0, 0),
		CancellableUntil: start.Add(7 * day), NextLifecycleAt: start.AddDate(1, 0, 0)}
}

func TestAdvance(t *testing.T) {
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)
	trial := paid(start, false)
	trial.IsTrial, trial.Term, trial.CommitmentEndAt, trial.NextLifecycleAt = true, allot.TermMonth, start.Add(30*day), start.Add(30*day)
	o := allot.DefaultOffer()
	tests := []struct {
		name       string
		s          *allot.Subscription
		now        time.Time
		want       []allot.Transition
		wantStatus allot.SubscriptionStatus
		wantNext   time.Time
	}{
		{"nothing due a second before term end", paid(start, true), end.Add(-time.Second), nil, allot.StatusEnabled, end},
		{"renews at term end with recurring billing", paid(start, true), end,
			[]allot.Transition{{From: allot.StatusEnabled, To: allot.StatusEnabled, At: end, Renewed: true}}, allot.StatusEnabled, end.AddDate(1, 0, 0)},
		{"renews three times over three years, from each term's end", paid(start, true), start.AddDate(3, 0, 1),
			[]allot.Transition{{allot.StatusEnabled, allot.StatusEnabled, end, true}, {allot.StatusEnabled, allot.StatusEnabled, end.AddDate(1, 0, 0), true},
				{allot.StatusEnabled, allot.StatusEnabled, end.AddDate(2, 0, 0), true}}, allot.StatusEnabled, start.AddDate(4, 0, 0)},
		{"Warning at term end without recurring billing", paid(start, false), end,
			[]allot.Transition{{From: allot.StatusEnabled, To: allot.StatusWarning, At: end}}, allot.StatusWarning, end.Add(30 * day)},
		{"Suspended 30 days later", paid(start, false), end.Add(30 * day),
			[]allot.Transition{{allot.StatusEnabled, allot.StatusWarning, end, false}, {allot.StatusWarning, allot.StatusSuspended, end.Add(30 * day), false}},
			allot.StatusSuspended, end.Add(120 * day)},
		{"Deleted 90 days after that", paid(start, false), end.Add(120 * day),
			[]allot.Transition{{allot.StatusEnabled, allot.StatusWarning, end, false}, {allot.StatusWarning, allot.StatusSuspended, end.Add(30 * day), false},
				{allot.StatusSuspended, allot.StatusDeleted, end.Add(120 * day), false}}, allot.StatusDeleted, time.Time{}},
		{"a trial expires after 30 days instead of renewing", trial, start.Add(30 * day),
			[]allot.Transition{{From: allot.StatusEnabled, To: allot.StatusWarning, At: start.Add(30 * day)}}, allot.StatusWarning, start.Add(60 * day)},
		{"no next lifecycle date: never", &allot.Subscription{Status: allot.StatusEnabled}, end, nil, allot.StatusEnabled, time.Time{}},
		{"LockedOut stays", &allot.Subscription{Status: allot.StatusLockedOut, NextLifecycleAt: start}, end, nil, allot.StatusLockedOut, start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Advance(o, tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("transitions (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
			if tt.s.Status != tt.wantStatus || !tt.s.NextLifecycleAt.Equal(tt.wantNext) {
				t.Errorf("(-want +got):\n-%s %v\n+%s %v", tt.wantStatus, tt.wantNext, tt.s.Status, tt.s.NextLifecycleAt)
			}
		})
	}
}

func TestAdvanceRenewalWindow(t *testing.T) {
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	s := paid(start, true)
	s.Term = allot.TermMonth
	s.CommitmentEndAt, s.NextLifecycleAt = start.AddDate(0, 1, 0), start.AddDate(0, 1, 0)
	s.Advance(allot.DefaultOffer(), s.NextLifecycleAt)
	renewed := start.AddDate(0, 1, 0)
	want := []time.Time{renewed.AddDate(0, 1, 0), renewed.Add(7 * day), renewed.AddDate(0, 1, 0)}
	if got := []time.Time{s.CommitmentEndAt, s.CancellableUntil, s.NextLifecycleAt}; !reflect.DeepEqual(got, want) {
		t.Errorf("new term: commitment end, cancellation window, next (-want +got):\n-%v\n+%v", want, got)
	}
}

func TestOffer(t *testing.T) {
	c, err := allot.ParseCatalog(strings.NewReader(`{"servicePlans": [], "skus": [
		{"id": "11111111-1111-4111-8111-111111111111", "partNumber": "SHORT", "displayName": {"en": "Short"}, "plans": [],
		 "cancellationDays": 3, "trialDays": 14, "warningDays": 10, "suspendedDays": 20},
		{"id": "22222222-2222-4222-8222-222222222222", "partNumber": "PLAIN", "displayName": {"en": "Plain"}, "plans": []}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sku  string
		want allot.Offer
	}{
		{"from the catalog", "11111111-1111-4111-8111-111111111111", allot.Offer{3 * day, 14 * day, 10 * day, 20 * day}},
		{"defaults", "22222222-2222-4222-8222-222222222222", allot.Offer{7 * day, 30 * day, 30 * day, 90 * day}},
		{"unknown SKU", skuE3, allot.DefaultOffer()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Offer(tt.sku); got != tt.want {
				t.Errorf("(-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
	_, err = allot.ParseCatalog(strings.NewReader(`{"servicePlans": [], "skus": [
		{"id": "11111111-1111-4111-8111-111111111111", "partNumber": "NEG", "displayName": {"en": "Neg"}, "plans": [], "trialDays": -1}]}`))
	wantError(t, err, &allot.Error{Code: allot.EINVALID, SKUID: "11111111-1111-4111-8111-111111111111"})
}

func TestKeptSeats(t *testing.T) {
	subs := []*allot.Subscription{
		{ID: "a", Status: allot.StatusEnabled, Quantity: 5, OwnerType: allot.OwnerAdmin},
		{ID: "b", Status: allot.StatusSuspended, Quantity: 3, OwnerType: allot.OwnerAdmin},
		{ID: "c", Status: allot.StatusDeleted, Quantity: 8, OwnerType: allot.OwnerAdmin},
		{ID: "d", Status: allot.StatusEnabled, Quantity: 2, OwnerType: allot.OwnerUser, PurchasedBy: "u"},
	}
	tests := []struct {
		name, pool string
		want       int
	}{{"admin pool: all but Deleted", "", 8}, {"a self-service pool", "d", 2}, {"a deleted one's own pool", "c", 0}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allot.KeptSeats(subs, tt.pool); got != tt.want {
				t.Errorf("(-want +got):\n-%d\n+%d", tt.want, got)
			}
		})
	}
}
