package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/allot-project/allot"
)

// testLastSeatRace races many goroutines for the last K seats of a SKU,
// round after round, and checks that exactly K win, the others get
// CountViolation, and the counters equal the rows after every round.
func testLastSeatRace(t *testing.T, open Opener) {
	const racers = 64
	rounds := 25
	if testing.Short() {
		rounds = 5
	}
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	users := make([]*allot.User, racers)
	for i := range users {
		users[i] = f.User(fmt.Sprintf("racer%02d@contoso.example", i), "FR")
	}
	sub := f.Subscribe(O365E5, 0)
	for _, k := range []int{1, 10} {
		for round := 0; round < rounds; round++ {
			q := k
			_, err := f.S.UpdateSubscription(ctx, f.Sys, sub.ID, allot.SubscriptionUpdate{Quantity: &q})
			must(t, err)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = f.S.AssignLicenses(ctx, f.Admin(), u.ID, add(O365E5))
				}()
			}
			close(start)
			wg.Wait()
			winners := 0
			var winnerIDs []string
			for i, err := range errs {
				switch allot.ErrorCode(err) {
				case "":
					winners++
					winnerIDs = append(winnerIDs, users[i].ID)
				case allot.ECOUNTVIOLATION:
				default:
					t.Fatalf("K=%d round %d: racer got %v, want success or CountViolation", k, round, err)
				}
			}
			if winners != k {
				t.Fatalf("K=%d round %d: %d winners", k, round, winners)
			}
			f.CheckCounters()
			if c := f.SKU(O365E5).Consumed; c != k {
				t.Fatalf("K=%d round %d: consumed %d", k, round, c)
			}
			res, err := f.S.AssignLicensesBulk(ctx, f.Sys, allot.BulkLicenseChange{Users: winnerIDs, Change: remove(O365E5), AllOrNothing: true})
			must(t, err)
			if len(res) != k {
				t.Fatalf("cleanup: %d results", len(res))
			}
		}
	}
}
