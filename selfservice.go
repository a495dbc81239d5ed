package allot

import (
	"context"
	"fmt"
)

// SelfServicePolicy says whether ordinary users may buy a product for
// themselves and colleagues.
type SelfServicePolicy string

// The self-service policies; products default to PolicyDenied.
const (
	PolicyAllowed SelfServicePolicy = "allowed" // paid subscriptions and trials
	PolicyTrials  SelfServicePolicy = "trials"  // trials only
	PolicyDenied  SelfServicePolicy = "denied"
)

// ParseSelfServicePolicy returns the policy named s, EINVALID for another
// word.
func ParseSelfServicePolicy(s string) (SelfServicePolicy, error) {
	switch p := SelfServicePolicy(s); p {
	case PolicyAllowed, PolicyTrials, PolicyDenied:
		return p, nil
	}
	return "", &Error{Code: EINVALID, Field: "policy", Value: s, Message: fmt.Sprintf("The policy must be allowed, trials or denied, not %q.", s)}
}

// CheckSelfServicePurchase decides an ordinary user's purchase of sku
// (trial or paid) under the tenant's policy for it: EFORBIDDEN, naming
// the product, when the policy denies it or allows trials only.
func CheckSelfServicePurchase(sku *SKU, policy SelfServicePolicy, trial bool) error {
	switch {
	case policy == PolicyAllowed, policy == PolicyTrials && trial:
		return nil
	case policy == PolicyTrials:
		return &Error{Code: EFORBIDDEN, SKUID: sku.ID, Field: "isTrial", Value: "false",
			Message: fmt.Sprintf("Only trials of %s may be bought by users themselves in this organization.", sku.DisplayName.EN)}
	}
	return &Error{Code: EFORBIDDEN, SKUID: sku.ID,
		Message: fmt.Sprintf("Users may not buy %s themselves in this organization: ask an administrator.", sku.DisplayName.EN)}
}

// ProductPolicy is the self-service policy of one catalog product.
type ProductPolicy struct {
	SKUID  string
	Policy SelfServicePolicy
}

// SelfServiceService manages the tenant's self-service purchase policies
// and the purchases they allow.
type SelfServiceService interface {
	// FindSelfServicePolicies lists the policy of every catalog product
	// (PolicyDenied where none was set). Needs ActionRead.
	FindSelfServicePolicies(ctx context.Context, p Principal) ([]ProductPolicy, error)
	// SetSelfServicePolicy sets the policy of a product (skuId or
	// skuPartNumber) and audits it; with dryRun it writes nothing. Needs
	// ActionManageSubscriptions (Global or Billing Administrators).
	// Returns EINVALID for an unknown product.
	SetSelfServicePolicy(ctx context.Context, p Principal, sku string, policy SelfServicePolicy, dryRun bool) (*ProductPolicy, error)
	// BuySelfService buys a self-service subscription for the user p
	// (an application is refused with EFORBIDDEN): the purchase's product
	// must be allowed by the tenant's policy (CheckSelfServicePurchase);
	// p then assigns its seats, which administrators cannot until they
	// take it over. Audited; with pu.DryRun nothing is written. Returns
	// EINVALID as SubscriptionPurchase.Subscription.
	BuySelfService(ctx context.Context, p Principal, pu SubscriptionPurchase) (*Subscription, error)
}
