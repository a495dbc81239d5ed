package allot

import (
	"encoding/json"
	"time"
)

// Seats is a product's licenses at one instant: assigned, and in all
// (the units of its subscriptions whose licenses work).
type Seats struct{ Assigned, Total int }

// Unused returns the seats paid for and unassigned, never below 0.
func (s Seats) Unused() int { return max(s.Total-s.Assigned, 0) }

// Before returns the seats before audit event e, given those after it: a
// license added or removed (a bulk change counts its users), a
// subscription's quantity in a status whose licenses work. Other events
// change nothing.
func (s Seats) Before(e *AuditEvent) Seats {
	n := 1
	if e.TargetType == "users" {
		n = e.SubjectCount
	}
	switch e.Action {
	case AuditLicenseAdd:
		s.Assigned -= n
	case AuditLicenseRemove:
		s.Assigned += n
	case AuditSubscriptionCreate, AuditSubscriptionUpdate:
		s.Total += workingUnits(e.Before) - workingUnits(e.After)
	}
	return s
}

// workingUnits reads a subscription's audit record: its quantity if its
// licenses work in its status, else 0.
func workingUnits(raw json.RawMessage) int {
	var v struct {
		Status   SubscriptionStatus `json:"status"`
		Quantity int                `json:"quantity"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || !v.Status.KeepsAccess() {
		return 0
	}
	return v.Quantity
}

// EventPool returns the seat pool a license or subscription audit event
// concerns: a self-service subscription's id, or "" for the admin pool
// (a bulk change, whose record names no subscription, included).
func EventPool(e *AuditEvent) string {
	var v struct {
		SubscriptionID string `json:"subscriptionId"`
		OwnerType      string `json:"ownerType"`
	}
	for _, raw := range []json.RawMessage{e.After, e.Before} {
		if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
			continue
		}
		if v.SubscriptionID != "" {
			return v.SubscriptionID
		}
		if v.OwnerType == OwnerUser && e.TargetType == "subscription" {
			return e.TargetID
		}
	}
	return ""
}

// UnusedSince returns since when the unused seats of now (the admin pool's
// seats of a product) have all been unused: walking events (its audit
// events, newest first) back from now, undoing those of the admin pool,
// the instant of the latest event before which fewer seats were unused.
// ok is false when nothing is unused, or when the events never show fewer
// (the seats have been unused since before the oldest event given).
func UnusedSince(now Seats, events []*AuditEvent) (since time.Time, ok bool) {
	want := now.Unused()
	if want == 0 {
		return time.Time{}, false
	}
	cur := now
	for _, e := range events {
		if EventPool(e) != "" {
			continue
		}
		cur = cur.Before(e)
		if cur.Unused() < want {
			return e.At, true
		}
	}
	return time.Time{}, false
}
