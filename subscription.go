package allot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SubscriptionStatus is the lifecycle state of a subscription, with Graph's
// names.
//
// Only Enabled subscriptions take new assignments. Licenses drawn from
// Enabled and Warning subscriptions keep working (Warning is the 30-day grace
// period after expiry); Suspended, LockedOut and Deleted subscriptions keep
// their existing assignments on record but their users lose access.
type SubscriptionStatus string

// The subscription statuses.
const (
	StatusEnabled   SubscriptionStatus = "Enabled"
	StatusWarning   SubscriptionStatus = "Warning"
	StatusSuspended SubscriptionStatus = "Suspended"
	StatusLockedOut SubscriptionStatus = "LockedOut"
	StatusDeleted   SubscriptionStatus = "Deleted"
)

// Valid reports whether s is a known status.
func (s SubscriptionStatus) Valid() bool {
	switch s {
	case StatusEnabled, StatusWarning, StatusSuspended, StatusLockedOut, StatusDeleted:
		return true
	}
	return false
}

// TakesAssignments reports whether a subscription in this status adds its
// units to the seats that new assignments may take.
func (s SubscriptionStatus) TakesAssignments() bool { return s == StatusEnabled }

// KeepsAccess reports whether licenses of a subscription in this status still
// let their users use the service.
func (s SubscriptionStatus) KeepsAccess() bool { return s == StatusEnabled || s == StatusWarning }

// Owner types of a subscription.
const (
	OwnerAdmin = "Company" // bought and managed by the tenant's administrators
	OwnerUser  = "User"    // a self-service purchase by one user
)

// Subscription is one purchase of a product by a tenant. A tenant may hold
// several subscriptions of one SKU; their seats pool together unless the
// subscription is a self-service purchase, whose seats only its purchaser
// assigns.
type Subscription struct {
	ID               string // GUID
	TenantID         string
	SKUID            string
	Status           SubscriptionStatus
	Quantity         int // totalLicenses
	IsTrial          bool
	RecurringBilling bool
	OwnerType        string // OwnerAdmin or OwnerUser
	PurchasedBy      string // user id of the purchaser when OwnerType is OwnerUser
	CreatedAt        time.Time
	NextLifecycleAt  time.Time // when it moves to its next status unless renewed
	Term             string    // TermMonth or TermYear; "" for one made before terms
	CommitmentEndAt  time.Time // when the current term ends (zero if unknown)
	CancellableUntil time.Time // end of the cancellation window (zero if none)
	TrialExtended    bool      // a trial already extended once
}

// SelfService reports whether a user bought the subscription for themselves
// and colleagues, so that administrators cannot assign its seats.
func (s *Subscription) SelfService() bool { return s.OwnerType == OwnerUser }

// Pool returns the seat pool the subscription's units belong to: "" for the
// tenant's admin-managed pool of the SKU, else the subscription's own id.
func (s *Subscription) Pool() string {
	if s.SelfService() {
		return s.ID
	}
	return ""
}

// Validate returns EINVALID when a field is out of range, with Field
// naming it.
func (s *Subscription) Validate(c *Catalog) error {
	invalid := func(field, value, format string, args ...any) *Error {
		return &Error{Code: EINVALID, SubscriptionID: s.ID, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.SKU(s.SKUID) == nil:
		e := invalid("skuId", s.SKUID, "Unknown SKU %q.", s.SKUID)
		e.SKUID = s.SKUID
		return e
	case !s.Status.Valid():
		return invalid("status", string(s.Status), "Unknown subscription status %q.", s.Status)
	case s.Quantity < 0 || s.Quantity > MaxQuantity:
		return invalid("quantity", strconv.Itoa(s.Quantity), "Quantity must be between 0 and %d.", MaxQuantity)
	case s.Term != "" && !ValidTerm(s.Term):
		return invalid("termDuration", s.Term, "Term must be %s or %s.", TermMonth, TermYear)
	case s.OwnerType != OwnerAdmin && s.OwnerType != OwnerUser:
		return invalid("ownerType", s.OwnerType, "Owner type must be %q or %q.", OwnerAdmin, OwnerUser)
	case s.SelfService() && s.PurchasedBy == "":
		return invalid("purchasedBy", "", "A self-service subscription needs its purchasing user.")
	}
	return nil
}

// SetDefaults fills what a new subscription may leave out: status Enabled,
// owned by the company; and lower-cases its skuId.
func (s *Subscription) SetDefaults() {
	s.SKUID = strings.ToLower(s.SKUID)
	if s.Status == "" {
		s.Status = StatusEnabled
	}
	if s.OwnerType == "" {
		s.OwnerType = OwnerAdmin
	}
}

// Apply copies the set fields onto s and validates the result.
func (upd SubscriptionUpdate) Apply(c *Catalog, s *Subscription) error {
	if upd.Quantity != nil {
		s.Quantity = *upd.Quantity
	}
	if upd.Status != nil {
		s.Status = *upd.Status
	}
	if upd.RecurringBilling != nil {
		s.RecurringBilling = *upd.RecurringBilling
	}
	if upd.NextLifecycleAt != nil {
		s.NextLifecycleAt = *upd.NextLifecycleAt
	}
	return s.Validate(c)
}

// SubscriptionUpdate holds the fields an administrator may change; nil
// fields stay as they are.
type SubscriptionUpdate struct {
	Quantity         *int
	Status           *SubscriptionStatus
	RecurringBilling *bool
	NextLifecycleAt  *time.Time
	ExtendTrial      bool // extend a trial once by the offer's trial duration
	DryRun           bool // check the change and answer its outcome, write nothing
}

// SubscriptionService manages a tenant's subscriptions and the per-SKU seat
// counts they produce.
type SubscriptionService interface {
	// CreateSubscription stores a subscription, assigning ID and CreatedAt
	// when empty, and adds its units to the SKU's seats. Needs
	// ActionManageSubscriptions. Returns EINVALID for bad fields.
	CreateSubscription(ctx context.Context, p Principal, s *Subscription) error
	// UpdateSubscription changes quantity, status or billing, after the
	// rules of PlanSubscriptionUpdate: status Deleted cancels within the
	// cancellation window (else ECONFLICT saying to turn recurring billing
	// off), status Enabled renews (a trial converts to paid, an expired
	// subscription starts a new term), RecurringBilling false ends it with
	// its term, ExtendTrial extends a trial once; ECONFLICT for a change
	// its status does not allow, EINVALID for a bad field. Reducing the
	// assignable units below the seats in use (a removal or a cancellation)
	// is refused with ECOUNTVIOLATION unless p is the system (lifecycle
	// timers may expire a subscription whose seats are in use). Needs
	// ActionManageSubscriptions (Billing or Global Administrators); the
	// audit event is written in the same transaction. With upd.DryRun the
	// change is checked the same way and nothing is written. Returns
	// ENOTFOUND for an unknown id.
	UpdateSubscription(ctx context.Context, p Principal, id string, upd SubscriptionUpdate) (*Subscription, error)
	// BuySubscription buys a new admin-managed subscription
	// (SubscriptionPurchase.Subscription) whose seats are assignable at
	// once, and audits it; with DryRun it returns the subscription it would
	// buy and writes nothing. Needs ActionManageSubscriptions. Returns
	// EINVALID for an unknown product, quantity or term.
	BuySubscription(ctx context.Context, p Principal, pu SubscriptionPurchase) (*Subscription, error)
	// TakeOverSubscription takes over the self-service subscription id
	// (CheckTakeover): with t.MoveTo "" it becomes admin-managed and the
	// licenses its purchaser assigned move to the product's admin pool;
	// with t.MoveTo they move to that admin-managed subscription's pool and
	// id is cancelled. All or nothing, in one transaction, audited: the
	// subscription, each moved license, and an event naming the purchaser
	// (who learns of it through the audit log). Needs
	// ActionManageSubscriptions (Global or Billing Administrators).
	// Returns ENOTFOUND for an unknown id or MoveTo, ECONFLICT,
	// EINVALID or ECOUNTVIOLATION as CheckTakeover. With t.DryRun nothing
	// is written.
	TakeOverSubscription(ctx context.Context, p Principal, id string, t Takeover) (*Subscription, error)
	// ReclaimLicenses stops paying for the unused licenses of a product
	// (skuId or skuPartNumber): its admin-managed Enabled subscriptions
	// are reduced by the admin pool's free seats (PlanReclaim), never below
	// what is assigned, each reduction audited. Needs
	// ActionManageSubscriptions. Returns EINVALID for an unknown product,
	// ENOTFOUND for one the tenant does not hold; a product without unused
	// licenses answers a plan without changes. With dryRun it answers the
	// plan and writes nothing.
	ReclaimLicenses(ctx context.Context, p Principal, sku string, dryRun bool) (*Reclaim, error)
	// FindSubscriptionByID returns ENOTFOUND if the tenant has no such
	// subscription. Needs ActionRead.
	FindSubscriptionByID(ctx context.Context, p Principal, id string) (*Subscription, error)
	// FindSubscriptions lists the tenant's subscriptions, one row each
	// (the "Your products" view). Needs ActionRead.
	FindSubscriptions(ctx context.Context, p Principal) ([]*Subscription, error)
	// FindSubscribedSKUs lists per SKU the aggregate over all its
	// subscriptions (the "Licenses" view and Graph's subscribedSkus).
	// Needs ActionRead.
	FindSubscribedSKUs(ctx context.Context, p Principal) ([]*SubscribedSKU, error)
	// FindSubscribedSKU returns one SKU's aggregate, ENOTFOUND if the tenant
	// holds no subscription of it. Needs ActionRead.
	FindSubscribedSKU(ctx context.Context, p Principal, skuID string) (*SubscribedSKU, error)
}
