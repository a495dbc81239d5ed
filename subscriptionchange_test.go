package allot_test

import (
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestPlanSubscriptionUpdate(t *testing.T) {
	c := allot.DemoCatalog()
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	billing := principal(adminID, allot.RoleBillingAdmin)
	sys := allot.SystemPrincipal("t", "lifecycle")
	in := func(st allot.SubscriptionStatus, edit func(s *allot.Subscription)) *allot.Subscription {
		s := paid(start, true)
		s.Status = st
		if edit != nil {
			edit(s)
		}
		return s
	}
	asTrial := func(s *allot.Subscription) {
		s.IsTrial, s.RecurringBilling, s.Term = true, false, allot.TermMonth
		s.CommitmentEndAt, s.NextLifecycleAt = start.Add(30*day), start.Add(30*day)
	}
	conflict := func(field, value string) *allot.Error {
		return &allot.Error{Code: allot.ECONFLICT, SKUID: skuE3, SubscriptionID: "s1", Field: field, Value: value}
	}
	deleted, enabled, warning := allot.StatusDeleted, allot.StatusEnabled, allot.StatusWarning
	renewedAt := start.Add(100 * day)
	tests := []struct {
		name    string
		p       allot.Principal
		s       *allot.Subscription
		upd     allot.SubscriptionUpdate
		now     time.Time
		want    func(s *allot.Subscription) // the expected subscription, from the one given
		wantErr *allot.Error
	}{
		{name: "cancel on the window's last instant", s: in(enabled, nil), upd: allot.SubscriptionUpdate{Status: &deleted}, now: start.Add(7 * day),
			want: func(s *allot.Subscription) {
				s.Status, s.RecurringBilling, s.NextLifecycleAt = deleted, false, time.Time{}
			}},
		{name: "cancel a second after the window", s: in(enabled, nil), upd: allot.SubscriptionUpdate{Status: &deleted}, now: start.Add(7*day + time.Second),
			wantErr: conflict("status", "deleted")},
		{name: "cancel a trial after its window", s: in(enabled, asTrial), upd: allot.SubscriptionUpdate{Status: &deleted}, now: start.Add(8 * day),
			wantErr: conflict("status", "deleted")},
		{name: "auto-renew off", s: in(enabled, nil), upd: allot.SubscriptionUpdate{RecurringBilling: refOf(false)}, now: start.Add(100 * day),
			want: func(s *allot.Subscription) { s.RecurringBilling = false }},
		{name: "auto-renew back on before the term ends", s: in(enabled, func(s *allot.Subscription) { s.RecurringBilling = false }),
			upd: allot.SubscriptionUpdate{RecurringBilling: refOf(true)}, now: start.Add(300 * day), want: func(s *allot.Subscription) { s.RecurringBilling = true }},
		{name: "auto-renew on for a trial", s: in(enabled, asTrial), upd: allot.SubscriptionUpdate{RecurringBilling: refOf(true)}, now: start,
			wantErr: conflict("autoRenewEnabled", "Enabled")},
		{name: "auto-renew on once expired", s: in(warning, func(s *allot.Subscription) { s.RecurringBilling = false }),
			upd: allot.SubscriptionUpdate{RecurringBilling: refOf(true)}, now: start, wantErr: conflict("autoRenewEnabled", "Warning")},
		{name: "renew an Enabled paid one turns recurring billing on", s: in(enabled, func(s *allot.Subscription) { s.RecurringBilling = false }),
			upd: allot.SubscriptionUpdate{Status: &enabled}, now: renewedAt, want: func(s *allot.Subscription) { s.RecurringBilling = true }},
		{name: "renew an expired one starts a new term now", s: in(warning, func(s *allot.Subscription) { s.RecurringBilling = false }),
			upd: allot.SubscriptionUpdate{Status: &enabled}, now: renewedAt, want: func(s *allot.Subscription) {
				s.Status, s.RecurringBilling = enabled, true
				s.CommitmentEndAt, s.CancellableUntil, s.NextLifecycleAt = renewedAt.AddDate(1, 0, 0), renewedAt.Add(7*day), renewedAt.AddDate(1, 0, 0)
			}},
		{name: "renew a trial converts it to paid", s: in(enabled, asTrial), upd: allot.SubscriptionUpdate{Status: &enabled}, now: renewedAt,
			want: func(s *allot.Subscription) {
				s.IsTrial, s.RecurringBilling = false, true
				s.CommitmentEndAt, s.CancellableUntil, s.NextLifecycleAt = renewedAt.AddDate(0, 1, 0), renewedAt.Add(7*day), renewedAt.AddDate(0, 1, 0)
			}},
		{name: "a deleted subscription changes no more", s: in(deleted, nil), upd: allot.SubscriptionUpdate{Status: &enabled}, now: start,
			wantErr: conflict("status", "Deleted")},
		{name: "Warning is the system's", s: in(enabled, nil), upd: allot.SubscriptionUpdate{Status: &warning}, now: start,
			wantErr: &allot.Error{Code: allot.EINVALID, SubscriptionID: "s1", Field: "status", Value: "Warning"}},
		{name: "status with a quantity", s: in(enabled, nil), upd: allot.SubscriptionUpdate{Status: &deleted, Quantity: refOf(2)}, now: start,
			wantErr: &allot.Error{Code: allot.EINVALID, SubscriptionID: "s1", Field: "status", Value: "Deleted"}},
		{name: "no licenses added while expired", s: in(warning, nil), upd: allot.SubscriptionUpdate{Quantity: refOf(9)}, now: start,
			wantErr: conflict("quantity", "Warning")},
		{name: "extend a trial once", s: in(enabled, asTrial), upd: allot.SubscriptionUpdate{ExtendTrial: true}, now: start.Add(20 * day),
			want: func(s *allot.Subscription) {
				s.CommitmentEndAt, s.NextLifecycleAt, s.TrialExtended = start.Add(60*day), start.Add(60*day), true
			}},
		{name: "not twice", s: in(enabled, func(s *allot.Subscription) { asTrial(s); s.TrialExtended = true }),
			upd: allot.SubscriptionUpdate{ExtendTrial: true}, now: start, wantErr: conflict("extendTrial", "true")},
		{name: "not a paid one", s: in(enabled, nil), upd: allot.SubscriptionUpdate{ExtendTrial: true}, now: start, wantErr: conflict("extendTrial", "true")},
		{name: "not an ended trial", s: in(warning, asTrial), upd: allot.SubscriptionUpdate{ExtendTrial: true}, now: start, wantErr: conflict("extendTrial", "true")},
		{name: "the system sets any status", p: sys, s: in(deleted, nil), upd: allot.SubscriptionUpdate{Status: &warning}, now: start,
			want: func(s *allot.Subscription) { s.Status = warning }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := billing
			if tt.p.System {
				p = tt.p
			}
			want := *tt.s
			if tt.want != nil {
				tt.want(&want)
			}
			err := allot.PlanSubscriptionUpdate(c, p, tt.s, tt.upd, tt.now)
			wantError(t, err, tt.wantErr)
			if err == nil && *tt.s != want {
				t.Errorf("(-want +got):\n-%+v\n+%+v", want, *tt.s)
			}
		})
	}
}

func TestCancelRefusalMessage(t *testing.T) {
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	s := paid(start, true)
	err := allot.PlanSubscriptionUpdate(allot.DemoCatalog(), principal(adminID, allot.RoleBillingAdmin), s,
		allot.SubscriptionUpdate{Status: refOf(allot.StatusDeleted)}, start.Add(8*day))
	want := "Subscription s1 of Office 365 E3 can no longer be cancelled: its cancellation window closed on 2026-02-07. " +
		"Turn recurring billing off instead (autoRenewEnabled false); it then ends with its term on 2027-01-31."
	if e, ok := err.(*allot.Error); !ok || e.Message != want {
		t.Errorf("(-want +got):\n-%s\n+%v", want, err)
	}
}

func refOf[T any](v T) *T { return &v }
