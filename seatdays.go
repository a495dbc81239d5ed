package allot

import (
	"context"
	"time"
)

// SeatDay is what the audit log recorded happening to one product's seats
// on one day (UTC): the sum of SeatChange over the day's events. Stores
// keep one per product and day with events, written with the events, so
// that a seat chart reads a few rows per product instead of walking the
// log.
type SeatDay struct {
	SKUID string
	Day   time.Time // midnight UTC
	Delta Seats     // after the day's events minus before them
}

// SeatChange returns what audit event e did to its product's seats: the
// seats after it minus those before it (Seats.Before, the one rule).
func SeatChange(e *AuditEvent) Seats {
	b := Seats{}.Before(e)
	return Seats{Assigned: -b.Assigned, Total: -b.Total}
}

// DayOf returns the midnight UTC that starts t's day.
func DayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// SeatsByDay returns a product's seats at the end of each of the n days
// that end with today's, oldest first: walking back from now (the seats
// at this instant) and undoing each day's change. days are the product's
// seat days in any order; those before the first day or after today's
// count for nothing but the walk.
func SeatsByDay(now Seats, days []SeatDay, today time.Time, n int) []Seats {
	if n <= 0 {
		return nil
	}
	today = DayOf(today)
	from := today.AddDate(0, 0, 1-n)
	delta := make([]Seats, n) // the change during day i
	for _, d := range days {
		if d.Day.After(today) || d.Day.Before(from) {
			continue // after today: nothing undoes it; before: not drawn
		}
		i := int(d.Day.Sub(from) / (24 * time.Hour))
		delta[i].Assigned += d.Delta.Assigned
		delta[i].Total += d.Delta.Total
	}
	out := make([]Seats, n)
	cur := now
	for i := n - 1; i >= 0; i-- {
		out[i] = cur
		cur.Assigned -= delta[i].Assigned
		cur.Total -= delta[i].Total
	}
	return out
}

// SeatHistoryService reads the seat days of a tenant's products.
type SeatHistoryService interface {
	// FindSeatDays returns the seat days since the day of since, of every
	// product, for those who may read the audit log (ActionReadAudit);
	// EFORBIDDEN for anyone else.
	FindSeatDays(ctx context.Context, p Principal, since time.Time) ([]SeatDay, error)
}
