package allot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The terms a subscription is bought for, as ISO 8601 durations (Partner
// Center's termDuration).
const (
	TermMonth = "P1M"
	TermYear  = "P1Y"
)

// CancellationWindow is how long after a purchase a subscription may be
// cancelled at once (cancellationAllowedUntilDate).
const CancellationWindow = 7 * 24 * time.Hour

// TrialDuration is how long a trial lasts.
const TrialDuration = 30 * 24 * time.Hour

// MaxQuantity is the most licenses one subscription holds.
const MaxQuantity = 10_000_000

// ValidTerm reports whether term is TermMonth or TermYear.
func ValidTerm(term string) bool { return term == TermMonth || term == TermYear }

// TermEnd returns when a term started at start ends (commitmentEndDate): a
// calendar month or year later, or TrialDuration later for a trial
// (DefaultOffer's TermEnd).
func TermEnd(start time.Time, term string, trial bool) time.Time {
	return DefaultOffer().TermEnd(start, term, trial)
}

// SubscriptionPurchase is a Billing or Global Administrator's order for a
// new subscription of a catalog product.
type SubscriptionPurchase struct {
	SKU      string // skuId or skuPartNumber, any case
	Quantity int
	Term     string // TermMonth or TermYear; TermMonth when empty
	Trial    bool
	DryRun   bool // validate and answer what would be bought, write nothing
}

// Subscription returns the admin-managed, Enabled subscription the purchase
// makes at now: its term ends at the offer's TermEnd, it may be cancelled
// for the offer's CancellationWindow (see SKU.Offer), and a paid one renews automatically (a trial does not).
// It returns EINVALID, with Field set, for an unknown product, a quantity
// outside 1..MaxQuantity or an unknown term.
func (pu SubscriptionPurchase) Subscription(c *Catalog, now time.Time) (*Subscription, error) {
	invalid := func(field, value, format string, args ...any) *Error {
		return &Error{Code: EINVALID, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
	}
	sku := c.FindSKU(strings.TrimSpace(pu.SKU))
	term := pu.Term
	if term == "" {
		term = TermMonth
	}
	switch {
	case sku == nil:
		e := invalid("skuId", pu.SKU, "Unknown product %q: give a skuId or skuPartNumber of the catalog.", pu.SKU)
		e.SKUID = pu.SKU
		return nil, e
	case pu.Quantity < 1 || pu.Quantity > MaxQuantity:
		return nil, invalid("quantity", strconv.Itoa(pu.Quantity), "Quantity must be between 1 and %d.", MaxQuantity)
	case !ValidTerm(term):
		return nil, invalid("termDuration", term, "Term must be %s (one month) or %s (one year).", TermMonth, TermYear)
	}
	o := sku.Offer()
	end := o.TermEnd(now, term, pu.Trial)
	return &Subscription{SKUID: sku.ID, Status: StatusEnabled, Quantity: pu.Quantity, IsTrial: pu.Trial,
		RecurringBilling: !pu.Trial, OwnerType: OwnerAdmin, CreatedAt: now, Term: term,
		CommitmentEndAt: end, CancellableUntil: now.Add(o.CancellationWindow), NextLifecycleAt: end}, nil
}
