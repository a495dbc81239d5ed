package allot

import "time"

// Default durations of an offer, used when the catalog names none.
const (
	// DefaultWarningPeriod is how long an expired subscription stays in
	// Warning: its licenses keep working, no new ones are assigned.
	DefaultWarningPeriod = 30 * 24 * time.Hour
	// DefaultSuspendedPeriod is how long a subscription stays Suspended
	// (its users lose access) before it is Deleted.
	DefaultSuspendedPeriod = 90 * 24 * time.Hour
)

// Offer is how the subscriptions of one product live over time: the
// durations of the catalog's offer, defaults filled in.
type Offer struct {
	CancellationWindow time.Duration // after a purchase or renewal, cancelled at once
	TrialDuration      time.Duration // a trial's term, and how much one extension adds
	WarningPeriod      time.Duration // expired: licenses work, none assigned
	SuspendedPeriod    time.Duration // suspended: users lose access, then Deleted
}

// DefaultOffer returns the durations of an offer the catalog says nothing
// about: a 7-day cancellation window, 30-day trials, 30 days in Warning and
// 90 days Suspended.
func DefaultOffer() Offer {
	return Offer{CancellationWindow: CancellationWindow, TrialDuration: TrialDuration,
		WarningPeriod: DefaultWarningPeriod, SuspendedPeriod: DefaultSuspendedPeriod}
}

// Offer returns the offer of a SKU: its catalog durations (in days), each
// absent one taken from DefaultOffer.
func (s *SKU) Offer() Offer {
	o := DefaultOffer()
	days := func(n int, d *time.Duration) {
		if n > 0 {
			*d = time.Duration(n) * 24 * time.Hour
		}
	}
	days(s.CancellationDays, &o.CancellationWindow)
	days(s.TrialDays, &o.TrialDuration)
	days(s.WarningDays, &o.WarningPeriod)
	days(s.SuspendedDays, &o.SuspendedPeriod)
	return o
}

// Offer returns the offer of the SKU with id skuID, DefaultOffer for a SKU
// the catalog does not know.
func (c *Catalog) Offer(skuID string) Offer {
	if s := c.SKU(skuID); s != nil {
		return s.Offer()
	}
	return DefaultOffer()
}

// TermEnd returns when a term started at start ends: a calendar month or
// year later, or the offer's TrialDuration later for a trial.
func (o Offer) TermEnd(start time.Time, term string, trial bool) time.Time {
	switch {
	case trial:
		return start.Add(o.TrialDuration)
	case term == TermYear:
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// startTerm starts a new paid term of s at start: its end, a new
// cancellation window, and its next lifecycle date at the term's end. A
// subscription made before terms renews for a year.
func (s *Subscription) startTerm(o Offer, start time.Time) {
	if s.Term == "" {
		s.Term = TermYear
	}
	s.CommitmentEndAt = o.TermEnd(start, s.Term, false)
	s.CancellableUntil = start.Add(o.CancellationWindow)
	s.NextLifecycleAt = s.CommitmentEndAt
}

// Transition is one lifecycle step a subscription went through.
type Transition struct {
	From, To SubscriptionStatus
	At       time.Time // when it became due (the subscription's NextLifecycleAt)
	Renewed  bool      // a new term began; From and To are both Enabled
}

// Advance moves s through every lifecycle step due at now, each at the
// time it became due, and returns them in order (none when nothing is
// due). At the end of its term an Enabled subscription with recurring
// billing renews (a new term and cancellation window, from the old term's
// end); without it, or a trial, it moves to Warning for the offer's
// WarningPeriod, then Suspended for its SuspendedPeriod, then Deleted,
// which has no next step. LockedOut subscriptions and those without a
// next lifecycle date stay as they are.
func (s *Subscription) Advance(o Offer, now time.Time) []Transition {
	var out []Transition
	for !s.NextLifecycleAt.IsZero() && !s.NextLifecycleAt.After(now) {
		t := Transition{From: s.Status, At: s.NextLifecycleAt}
		switch s.Status {
		case StatusEnabled:
			if s.RecurringBilling && !s.IsTrial {
				s.startTerm(o, t.At)
				t.Renewed = true
			} else {
				s.Status, s.NextLifecycleAt = StatusWarning, t.At.Add(o.WarningPeriod)
			}
		case StatusWarning:
			s.Status, s.NextLifecycleAt = StatusSuspended, t.At.Add(o.SuspendedPeriod)
		case StatusSuspended:
			s.Status, s.NextLifecycleAt, s.RecurringBilling = StatusDeleted, time.Time{}, false
		default:
			return out
		}
		t.To = s.Status
		out = append(out, t)
	}
	return out
}

// KeptSeats returns how many licenses the subscriptions of one seat pool
// keep on record: the quantities of those not Deleted. When a subscription
// is deleted, licenses beyond that are removed from the pool.
func KeptSeats(subs []*Subscription, pool string) int {
	n := 0
	for _, s := range subs {
		if s.Pool() == pool && s.Status != StatusDeleted {
			n += s.Quantity
		}
	}
	return n
}
