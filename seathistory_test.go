package allot_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestUnusedSince(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	add := func(d int, sub string) *allot.AuditEvent {
		after, _ := json.Marshal(map[string]any{"skuId": skuE3, "subscriptionId": sub})
		return &allot.AuditEvent{At: at(d), Action: allot.AuditLicenseAdd, TargetType: "user", After: after}
	}
	remove := func(d int) *allot.AuditEvent {
		before, _ := json.Marshal(map[string]any{"skuId": skuE3, "subscriptionId": ""})
		return &allot.AuditEvent{At: at(d), Action: allot.AuditLicenseRemove, TargetType: "user", Before: before}
	}
	bulkAdd := func(d, n int) *allot.AuditEvent {
		return &allot.AuditEvent{At: at(d), Action: allot.AuditLicenseAdd, TargetType: "users", SubjectCount: n, After: json.RawMessage(`{"users":` + strconv.Itoa(n) + `}`)}
	}
	quantity := func(d int, from, to int, owner string) *allot.AuditEvent {
		rec := func(q int) json.RawMessage {
			if q < 0 {
				return nil
			}
			b, _ := json.Marshal(map[string]any{"skuId": skuE3, "status": allot.StatusEnabled, "quantity": q, "ownerType": owner})
			return b
		}
		action := allot.AuditSubscriptionUpdate
		if from < 0 {
			action = allot.AuditSubscriptionCreate
		}
		return &allot.AuditEvent{At: at(d), Action: action, TargetType: "subscription", TargetID: "s-" + owner, Before: rec(from), After: rec(to)}
	}
	tests := []struct {
		name   string
		now    allot.Seats
		events []*allot.AuditEvent // newest first
		want   time.Time           // zero: not ok
	}{
		{"nothing unused", allot.Seats{Assigned: 5, Total: 5}, []*allot.AuditEvent{remove(3), quantity(1, -1, 5, allot.OwnerAdmin)}, time.Time{}},
		{"unused since a removal", allot.Seats{Assigned: 4, Total: 5}, []*allot.AuditEvent{remove(3), add(2, ""), quantity(1, -1, 5, allot.OwnerAdmin)}, at(3)},
		{"unused since the purchase", allot.Seats{Assigned: 2, Total: 5}, []*allot.AuditEvent{add(2, ""), add(2, ""), quantity(1, -1, 5, allot.OwnerAdmin)}, at(1)},
		{"two unused: since the second was freed", allot.Seats{Assigned: 3, Total: 5}, []*allot.AuditEvent{remove(9), remove(6), bulkAdd(2, 5), quantity(1, -1, 5, allot.OwnerAdmin)}, at(9)},
		{"a later increase", allot.Seats{Assigned: 5, Total: 8}, []*allot.AuditEvent{quantity(7, 5, 8, allot.OwnerAdmin), bulkAdd(2, 5), quantity(1, -1, 5, allot.OwnerAdmin)}, at(7)},
		{"a reduction does not reset the date", allot.Seats{Assigned: 3, Total: 4}, []*allot.AuditEvent{quantity(8, 6, 4, allot.OwnerAdmin), add(5, ""), add(4, ""), add(3, ""), quantity(1, -1, 6, allot.OwnerAdmin)}, at(1)},
		{"self-service events ignored", allot.Seats{Assigned: 4, Total: 5}, []*allot.AuditEvent{add(8, "s-User"), quantity(7, -1, 2, allot.OwnerUser), remove(3), add(2, ""), quantity(1, -1, 5, allot.OwnerAdmin)}, at(3)},
		{"older than the history read", allot.Seats{Assigned: 3, Total: 5}, []*allot.AuditEvent{add(4, "")}, time.Time{}},
		{"no history", allot.Seats{Assigned: 0, Total: 5}, nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := allot.UnusedSince(tt.now, tt.events)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("UnusedSince = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestSeatsBefore(t *testing.T) {
	sub := func(action, before, after string) *allot.AuditEvent {
		raw := func(s string) json.RawMessage {
			if s == "" {
				return nil
			}
			return json.RawMessage(s)
		}
		return &allot.AuditEvent{Action: action, TargetType: "subscription", Before: raw(before), After: raw(after)}
	}
	tests := []struct {
		name string
		e    *allot.AuditEvent
		want allot.Seats
	}{
		{"a license added", &allot.AuditEvent{Action: allot.AuditLicenseAdd, TargetType: "user"}, allot.Seats{Assigned: 2, Total: 10}},
		{"a bulk removal of 4", &allot.AuditEvent{Action: allot.AuditLicenseRemove, TargetType: "users", SubjectCount: 4}, allot.Seats{Assigned: 7, Total: 10}},
		{"a subscription bought", sub(allot.AuditSubscriptionCreate, "", `{"status":"Enabled","quantity":6}`), allot.Seats{Assigned: 3, Total: 4}},
		{"a subscription suspended", sub(allot.AuditSubscriptionUpdate, `{"status":"Enabled","quantity":6}`, `{"status":"Suspended","quantity":6}`), allot.Seats{Assigned: 3, Total: 16}},
		{"a plan changed", &allot.AuditEvent{Action: allot.AuditLicenseUpdate, TargetType: "user"}, allot.Seats{Assigned: 3, Total: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (allot.Seats{Assigned: 3, Total: 10}).Before(tt.e); got != tt.want {
				t.Errorf("Before = %+v, want %+v", got, tt.want)
			}
		})
	}
}
