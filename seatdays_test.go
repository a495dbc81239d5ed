package allot_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestSeatChange(t *testing.T) {
	sub := func(q int, st allot.SubscriptionStatus) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"skuId": skuE3, "status": st, "quantity": q})
		return b
	}
	tests := []struct {
		name string
		e    allot.AuditEvent
		want allot.Seats
	}{
		{"a license added", allot.AuditEvent{Action: allot.AuditLicenseAdd, TargetType: "user"}, allot.Seats{Assigned: 1}},
		{"a license removed", allot.AuditEvent{Action: allot.AuditLicenseRemove, TargetType: "user"}, allot.Seats{Assigned: -1}},
		{"a bulk change of 250 users", allot.AuditEvent{Action: allot.AuditLicenseAdd, TargetType: "users", SubjectCount: 250}, allot.Seats{Assigned: 250}},
		{"a subscription bought", allot.AuditEvent{Action: allot.AuditSubscriptionCreate, TargetType: "subscription", After: sub(25, allot.StatusEnabled)}, allot.Seats{Total: 25}},
		{"a quantity lowered", allot.AuditEvent{Action: allot.AuditSubscriptionUpdate, TargetType: "subscription", Before: sub(25, allot.StatusEnabled), After: sub(20, allot.StatusEnabled)}, allot.Seats{Total: -5}},
		{"a subscription suspended", allot.AuditEvent{Action: allot.AuditSubscriptionUpdate, TargetType: "subscription", Before: sub(25, allot.StatusWarning), After: sub(25, allot.StatusSuspended)}, allot.Seats{Total: -25}},
		{"a role granted", allot.AuditEvent{Action: allot.AuditRoleAssign, TargetType: "user"}, allot.Seats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allot.SeatChange(&tt.e); got != tt.want {
				t.Errorf("SeatChange = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSeatsByDay(t *testing.T) {
	today := time.Date(2026, 3, 10, 15, 4, 5, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 3, 10+d, 0, 0, 0, 0, time.UTC) }
	s := func(a, t int) allot.Seats { return allot.Seats{Assigned: a, Total: t} }
	tests := []struct {
		name string
		now  allot.Seats
		days []allot.SeatDay
		n    int
		want []allot.Seats
	}{
		{"no history: flat", s(3, 5), nil, 3, []allot.Seats{s(3, 5), s(3, 5), s(3, 5)}},
		{"today's change is in today's end only", s(3, 5), []allot.SeatDay{{Day: day(0), Delta: s(2, 0)}}, 3, []allot.Seats{s(1, 5), s(1, 5), s(3, 5)}},
		{"changes undone day by day, in any order", s(10, 20), []allot.SeatDay{
			{Day: day(-1), Delta: s(-1, 0)}, {Day: day(-2), Delta: s(4, 20)}, {Day: day(-1), Delta: s(3, 0)},
		}, 4, []allot.Seats{s(4, 0), s(8, 20), s(10, 20), s(10, 20)}},
		{"days before the first drawn count for nothing", s(2, 2), []allot.SeatDay{{Day: day(-9), Delta: s(2, 2)}}, 2, []allot.Seats{s(2, 2), s(2, 2)}},
		{"a day after today is ignored", s(2, 2), []allot.SeatDay{{Day: day(1), Delta: s(2, 2)}}, 2, []allot.Seats{s(2, 2), s(2, 2)}},
		{"no days asked", s(2, 2), nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allot.SeatsByDay(tt.now, tt.days, today, tt.n)
			if len(got) != len(tt.want) {
				t.Fatalf("SeatsByDay = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("SeatsByDay = %+v, want %+v", got, tt.want)
					break
				}
			}
		})
	}
}
