package allot

import "fmt"

// CheckTakeover decides whether a Global or Billing Administrator may take
// over the self-service subscription s: (a) with target nil, s becomes
// admin-managed and its seats join the product's pool; (b) with target,
// the users holding licenses of s (moving of them) move to target, an
// admin-managed Enabled subscription of the same product whose pool
// (adminPool) has that many free seats, and s is cancelled. All or
// nothing: ECONFLICT when s is not a self-service purchase (or is
// deleted) or target cannot take its users, EINVALID for a target of
// another product, ECOUNTVIOLATION when the admin pool lacks seats.
func CheckTakeover(c *Catalog, s, target *Subscription, adminPool SeatPool, moving int) error {
	name := productName(c, s.SKUID)
	conflict := func(field, value, format string, args ...any) *Error {
		return &Error{Code: ECONFLICT, SKUID: s.SKUID, SubscriptionID: s.ID, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case !s.SelfService():
		return conflict("ownerType", s.OwnerType, "Subscription %s of %s is already managed by administrators.", s.ID, name)
	case s.Status == StatusDeleted:
		return conflict("status", string(s.Status), "Subscription %s of %s is deleted.", s.ID, name)
	case target == nil:
		return nil
	case target.SKUID != s.SKUID:
		return &Error{Code: EINVALID, SKUID: target.SKUID, SubscriptionID: target.ID, Field: "moveTo", Value: target.ID,
			Message: fmt.Sprintf("Subscription %s is of %s, not %s: move users to a subscription of the same product.", target.ID, productName(c, target.SKUID), name)}
	case target.SelfService() || !target.Status.TakesAssignments():
		return conflict("moveTo", target.ID, "Subscription %s of %s cannot take the users: move them to an active subscription managed by administrators.", target.ID, name)
	case !adminPool.TakeSeats(moving):
		return &Error{Code: ECOUNTVIOLATION, SKUID: s.SKUID, SubscriptionID: target.ID, Count: moving, Limit: adminPool.Available(),
			Message: fmt.Sprintf("Moving the %d users of subscription %s needs %d free licenses of %s; administrators have %d: add licenses first.",
				moving, s.ID, moving, name, adminPool.Available())}
	}
	return nil
}

// Takeover is an administrator's takeover of a self-service subscription:
// MoveTo "" makes it admin-managed; else the id of the admin-managed
// subscription its users move to before it is cancelled.
type Takeover struct {
	MoveTo string
	DryRun bool // check everything, change nothing
}
