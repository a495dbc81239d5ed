package lifecycle

import (
	"context"
	"time"
)

// Store is what the steps need of the database. sqlstore.DB implements it.
type Store interface {
	// PurgeDeletedUsers removes, in every tenant, the users deleted before
	// now-allot.DeletedRetention, and returns how many it removed (see
	// allot.UserService).
	PurgeDeletedUsers(ctx context.Context, now time.Time) (int, error)
	DataStore
	SubscriptionStore
}

// Steps returns allot's timed work over s, in the order Run runs it.
func Steps(s Store) []Step {
	return []Step{
		{Name: "purge-deleted-users", One: "deleted user purged", Many: "deleted users purged", Do: s.PurgeDeletedUsers},
		DataStep(s),
		SubscriptionStep(s),
	}
}
