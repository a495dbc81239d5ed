package lifecycle

import (
	"context"
	"time"
)

// SubscriptionStore is what the subscription step needs of the database.
// sqlstore.DB implements it.
type SubscriptionStore interface {
	// AdvanceSubscriptions makes, in every tenant, the subscription
	// lifecycle transitions due at now (renewal with recurring billing,
	// else Warning, Suspended, Deleted; see allot.Subscription.Advance),
	// audited as the system's, and returns how many it made.
	AdvanceSubscriptions(ctx context.Context, now time.Time) (int, error)
}

// SubscriptionStep is the subscription lifecycle step: at the end of a
// term a subscription renews or expires, and an expired one is suspended
// and then deleted, each once across processes.
func SubscriptionStep(s SubscriptionStore) Step {
	return Step{Name: "subscription-lifecycle", One: "subscription transition", Many: "subscription transitions", Do: s.AdvanceSubscriptions}
}
