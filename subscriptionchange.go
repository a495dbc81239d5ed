package allot

import (
	"fmt"
	"time"
)

// PlanSubscriptionUpdate applies an administrator's change to s at now,
// after the rules of Partner Center's subscription resource, and
// validates the result. The system (lifecycle timers, setup) sets fields
// as given (SubscriptionUpdate.Apply). For anyone else:
//
//   - a Deleted subscription changes no more (ECONFLICT);
//   - Status changes alone: Deleted cancels (cancelSubscription), Enabled
//     renews (renewSubscription), any other status is the system's
//     (EINVALID);
//   - quantity changes only while Enabled (ECONFLICT);
//   - recurring billing turns on only for an Enabled paid subscription
//     (ECONFLICT); turning it off always works, and the subscription then
//     ends with its term (see Advance);
//   - ExtendTrial extends an Enabled trial once (extendTrial).
//
// Capacity (CheckCapacity) is the store's to check once the pool is known.
func PlanSubscriptionUpdate(c *Catalog, p Principal, s *Subscription, upd SubscriptionUpdate, now time.Time) error {
	if p.System {
		return upd.Apply(c, s)
	}
	o := c.Offer(s.SKUID)
	name := productName(c, s.SKUID)
	conflict := func(field, format string, args ...any) *Error {
		return &Error{Code: ECONFLICT, SKUID: s.SKUID, SubscriptionID: s.ID, Field: field, Value: string(s.Status), Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case s.Status == StatusDeleted:
		return conflict("status", "Subscription %s of %s is deleted and changes no more: buy a new one.", s.ID, name)
	case upd.Status != nil && (upd.Quantity != nil || upd.RecurringBilling != nil || upd.ExtendTrial):
		return &Error{Code: EINVALID, SubscriptionID: s.ID, Field: "status", Value: string(*upd.Status),
			Message: "Change status alone, without quantity, autoRenewEnabled or extendTrial."}
	case upd.Status != nil:
		return changeStatus(c, s, *upd.Status, o, now)
	case upd.Quantity != nil && *upd.Quantity != s.Quantity && s.Status != StatusEnabled:
		return conflict("quantity", "Subscription %s of %s is %s: renew it before changing its licenses.", s.ID, name, s.Status)
	case upd.RecurringBilling != nil && *upd.RecurringBilling && s.IsTrial:
		return conflict("autoRenewEnabled", "Subscription %s of %s is a trial, which does not renew: convert it to paid (renew) instead.", s.ID, name)
	case upd.RecurringBilling != nil && *upd.RecurringBilling && s.Status != StatusEnabled:
		return conflict("autoRenewEnabled", "Subscription %s of %s has expired (%s): renew it instead.", s.ID, name, s.Status)
	case upd.ExtendTrial:
		if err := extendTrial(s, o, name); err != nil {
			return err
		}
	}
	if upd.Quantity != nil {
		s.Quantity = *upd.Quantity
	}
	if upd.RecurringBilling != nil {
		s.RecurringBilling = *upd.RecurringBilling
	}
	return s.Validate(c)
}

// changeStatus is an administrator's change of status: cancel or renew.
func changeStatus(c *Catalog, s *Subscription, to SubscriptionStatus, o Offer, now time.Time) error {
	var err error
	switch to {
	case StatusDeleted:
		err = cancelSubscription(c, s, now)
	case StatusEnabled:
		renewSubscription(s, o, now)
	default:
		err = &Error{Code: EINVALID, SubscriptionID: s.ID, Field: "status", Value: string(to),
			Message: "Status must be active (renew) or deleted (cancel); the other statuses follow from time."}
	}
	if err != nil {
		return err
	}
	return s.Validate(c)
}

// cancelSubscription cancels s at once (status Deleted, its seats leave
// the pool) while its cancellation window is open. Outside the window it
// returns ECONFLICT saying to turn recurring billing off, which ends the
// subscription with its term.
func cancelSubscription(c *Catalog, s *Subscription, now time.Time) error {
	if s.CancellableUntil.IsZero() || now.After(s.CancellableUntil) {
		e := &Error{Code: ECONFLICT, SKUID: s.SKUID, SubscriptionID: s.ID, Field: "status", Value: "deleted"}
		name, end := productName(c, s.SKUID), s.CommitmentEndAt
		if end.IsZero() {
			end = s.NextLifecycleAt
		}
		closed := "it has no cancellation window"
		if !s.CancellableUntil.IsZero() {
			closed = "its cancellation window closed on " + s.CancellableUntil.UTC().Format(time.DateOnly)
		}
		e.Message = fmt.Sprintf("Subscription %s of %s can no longer be cancelled: %s. Turn recurring billing off instead (autoRenewEnabled false); it then ends with its term on %s.",
			s.ID, name, closed, end.UTC().Format(time.DateOnly))
		if s.IsTrial {
			e.Message = fmt.Sprintf("Subscription %s of %s can no longer be cancelled: %s. A trial does not renew: it ends by itself on %s.",
				s.ID, name, closed, end.UTC().Format(time.DateOnly))
		}
		return e
	}
	s.Status, s.RecurringBilling, s.NextLifecycleAt = StatusDeleted, false, time.Time{}
	return nil
}

// renewSubscription renews s at now. A trial converts to a paid
// subscription and an expired (Warning, Suspended or LockedOut) one is
// reactivated: either starts a new term now, with a new cancellation
// window and recurring billing on. An Enabled paid subscription keeps its
// term and has recurring billing turned back on, undoing a turn-off.
func renewSubscription(s *Subscription, o Offer, now time.Time) {
	s.RecurringBilling = true
	if s.Status == StatusEnabled && !s.IsTrial {
		return
	}
	s.Status, s.IsTrial = StatusEnabled, false
	s.startTerm(o, now)
}

// extendTrial adds the offer's TrialDuration to an Enabled trial, once.
func extendTrial(s *Subscription, o Offer, name string) error {
	conflict := func(format string, args ...any) *Error {
		return &Error{Code: ECONFLICT, SKUID: s.SKUID, SubscriptionID: s.ID, Field: "extendTrial", Value: "true", Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case !s.IsTrial:
		return conflict("Subscription %s of %s is not a trial.", s.ID, name)
	case s.TrialExtended:
		return conflict("The trial %s of %s was already extended: a trial is extended once. Convert it to paid (renew) to keep it.", s.ID, name)
	case s.Status != StatusEnabled:
		return conflict("The trial %s of %s has ended (%s): convert it to paid (renew) to keep it.", s.ID, name, s.Status)
	}
	end := s.CommitmentEndAt
	if end.IsZero() {
		end = s.NextLifecycleAt
	}
	s.CommitmentEndAt = end.Add(o.TrialDuration)
	s.NextLifecycleAt, s.TrialExtended = s.CommitmentEndAt, true
	return nil
}

// productName returns the English name of a SKU, its id when unknown.
func productName(c *Catalog, skuID string) string {
	if sku := c.SKU(skuID); sku != nil {
		return sku.DisplayName.EN
	}
	return skuID
}
