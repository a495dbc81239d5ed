package lifecycle

import (
	"context"
	"time"
)

// DataStore is what the data lifecycle step needs of the database.
// sqlstore.DB implements it.
type DataStore interface {
	// ExpireUserData applies, in every tenant, what the passing of time
	// makes due at now to users' mailboxes and files (see
	// allot.DataService): a mailbox past its 30-day grace period is purged,
	// or kept as an inactive mailbox while a hold covers its user; an
	// inactive mailbox whose hold was released is purged; a deleted user's
	// files past the tenant's retention are deleted. Returns how many
	// users' data changed.
	ExpireUserData(ctx context.Context, now time.Time) (int, error)
}

// DataStep returns the data lifecycle step over s.
func DataStep(s DataStore) Step {
	return Step{Name: "expire-user-data", One: "user's data expired", Many: "users' data expired", Do: s.ExpireUserData}
}
