package allot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Reasons a license check gives.
const (
	ReasonLicensed              = "Licensed"
	ReasonNoLicense             = "NoLicense"             // no license held carries the plan
	ReasonPlanDisabled          = "PlanDisabled"          // a license carries it, but the plan is disabled for the user
	ReasonSubscriptionSuspended = "SubscriptionSuspended" // every license carrying it comes from a suspended, locked-out or deleted subscription
	ReasonSignInBlocked         = "SignInBlocked"
	ReasonUserDeleted           = "UserDeleted"
	ReasonUserNotFound          = "UserNotFound"
	ReasonUnknownPlan           = "UnknownServicePlan"
	// The reasons a mailbox plan gives a user without it, by the state of
	// the user's mailbox (U2, U4).
	ReasonMailboxInGrace  = "MailboxInGrace"  // disconnected, within its 30-day grace period
	ReasonMailboxInactive = "MailboxInactive" // kept by a hold: inactive, or disconnected and held (CheckedMailbox)
	ReasonMailboxPurged   = "MailboxPurged"   // deleted for good
)

// CheckRequest asks whether a user may use a service plan.
type CheckRequest struct {
	User        string // id or userPrincipalName
	ServicePlan string // servicePlanId or servicePlanName
}

// CheckResult answers a CheckRequest.
type CheckResult struct {
	User          string // as asked
	UserID        string // "" when the user is unknown
	ServicePlanID string // "" when the plan is unknown
	Licensed      bool
	SKUID         string // the SKU granting the plan, when licensed
	Reason        string
}

// Entitlement is what a license check needs to know about one user.
type Entitlement struct {
	TenantID          string
	UserID            string
	UserPrincipalName string
	AccountEnabled    bool
	Deleted           bool
	UsageLocation     string // as User.UsageLocation
	Licenses          []License
	Version           int64 // grows with every committed change of the user
	// Mailbox is the state of the user's mailbox as CheckedMailbox gives
	// it (a held disconnected mailbox is inactive), which a mailbox plan's
	// answer names when the user lacks the plan. MailboxKnown is false
	// when the change that made the entitlement did not read it: a cache
	// keeps the state it had.
	Mailbox      MailboxState
	MailboxKnown bool
	// Profile is the rest of the user as a read shows it, nil when the
	// change that made the entitlement did not read it (a bulk license
	// change): a cache keeps the profile it had.
	Profile *UserProfile
}

// PoolAccess reports whether the licenses of a seat pool (tenant, SKU,
// pool) still grant access: true while at least one subscription of the
// pool is Enabled or in Warning.
type PoolAccess func(tenantID, skuID, pool string) bool

// MaxChecks is the largest batch of checks one request may carry.
const MaxChecks = 1000

// Check decides one license check from a user's entitlement (nil when the
// user is unknown). It is the single place where the answer is made, used
// by every check path.
func Check(c *Catalog, e *Entitlement, plan *ServicePlan, access PoolAccess) CheckResult {
	r := CheckResult{}
	if plan != nil {
		r.ServicePlanID = plan.ID
	}
	switch {
	case e == nil:
		r.Reason = ReasonUserNotFound
		return r
	case e.Deleted:
		r.UserID, r.Reason = e.UserID, ReasonUserDeleted
		return r
	}
	r.UserID = e.UserID
	if plan == nil {
		r.Reason = ReasonUnknownPlan
		return r
	}
	if !e.AccountEnabled {
		r.Reason = ReasonSignInBlocked
		return r
	}
	// The answer does not depend on the order of the licenses: a reason
	// only gives way to a better one (Licensed, then SubscriptionSuspended,
	// then PlanDisabled, then NoLicense), and of several licenses granting
	// the plan the one with the smallest skuId is named.
	r.Reason = ReasonNoLicense
	for _, l := range e.Licenses {
		sku := c.SKU(l.SKUID)
		if sku == nil || !sku.HasPlan(plan.ID) {
			continue
		}
		switch {
		case !l.PlanEnabled(sku, plan.ID):
			if r.Reason == ReasonNoLicense {
				r.Reason = ReasonPlanDisabled
			}
		case !access(e.TenantID, l.SKUID, l.Pool()):
			if !r.Licensed {
				r.Reason = ReasonSubscriptionSuspended
			}
		case !r.Licensed || l.SKUID < r.SKUID:
			r.Licensed, r.SKUID, r.Reason = true, l.SKUID, ReasonLicensed
		}
	}
	if !r.Licensed && r.Reason != ReasonSubscriptionSuspended && plan.Data == DataMailbox {
		r.Reason = mailboxReason(e.Mailbox, r.Reason)
	}
	return r
}

// mailboxReason is the reason a mailbox plan gives a user who lacks it,
// from the state of the user's mailbox; otherwise reason.
func mailboxReason(m MailboxState, reason string) string {
	switch m {
	case MailboxDisconnected:
		return ReasonMailboxInGrace
	case MailboxInactive:
		return ReasonMailboxInactive
	case MailboxPurged:
		return ReasonMailboxPurged
	}
	return reason
}

// ValidateChecks returns EINVALID for an empty or oversized batch (Count,
// Limit) or one with an empty field (Field, and Value the check's index).
func ValidateChecks(reqs []CheckRequest) error {
	if len(reqs) == 0 || len(reqs) > MaxChecks {
		return &Error{Code: EINVALID, Count: len(reqs), Limit: MaxChecks, Message: fmt.Sprintf("A batch carries 1 to %d checks, not %d.", MaxChecks, len(reqs))}
	}
	for i, r := range reqs {
		field := ""
		if strings.TrimSpace(r.User) == "" {
			field = "user"
		} else if strings.TrimSpace(r.ServicePlan) == "" {
			field = "servicePlan"
		}
		if field != "" {
			return &Error{Code: EINVALID, Field: field, Value: strconv.Itoa(i), Message: fmt.Sprintf("Check %d needs a user and a servicePlan.", i)}
		}
	}
	return nil
}

// CheckService answers license checks.
type CheckService interface {
	// Check answers each request in order. Needs ActionCheck. Returns
	// EINVALID for a malformed batch; unknown users and plans are answers,
	// not errors.
	Check(ctx context.Context, p Principal, reqs []CheckRequest) ([]CheckResult, error)
}

// Change tells caches what a committed transaction changed.
type Change struct {
	TenantID string
	UserIDs  []string // users whose entitlement may have changed: read them back
	// Entitlements holds the committed state of other changed users, so
	// that a cache in the same process need not read it back.
	Entitlements []*Entitlement
	Pools        bool // subscriptions changed, so pool access may have
	All          bool // anything of the tenant may have changed ("" tenant: of every tenant)
}

// EntitlementSource reads the committed state a license-check cache is
// built from.
type EntitlementSource interface {
	// ScanEntitlements calls fn for every user of every tenant, deleted
	// ones included; with tenantID not "", only for that tenant.
	ScanEntitlements(ctx context.Context, tenantID string, fn func(*Entitlement) error) error
	// FindEntitlements returns the users with the given ids, deleted ones
	// included; ids of purged users are absent from the result.
	FindEntitlements(ctx context.Context, tenantID string, userIDs []string) ([]*Entitlement, error)
	// FindPoolAccess returns, for every seat pool of the tenant ("" for
	// all tenants), whether its licenses still grant access, keyed by
	// PoolKey.
	FindPoolAccess(ctx context.Context, tenantID string) (map[PoolKey]bool, error)
}

// PoolKey names one seat pool.
type PoolKey struct{ TenantID, SKUID, Pool string }
