package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// operatorEvent is what the suite compares of an audit event written for
// an operator's action.
type operatorEvent struct {
	Action, TargetType, TargetID, ActorID, ActorName string
	Via                                              allot.Channel
}

// testOperatorAudit checks that the operator's writes, which take no
// principal (tenants, tokens), are audited like every other write, and
// that a refused one records nothing.
func testOperatorAudit(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	admin := f.Admin()
	secret, tok, err := f.S.CreateToken(ctx, f.Tenant.ID, admin.Name, time.Hour)
	must(t, err)
	must(t, f.S.RevokeToken(ctx, secret))
	_, tok2, err := f.S.CreateToken(ctx, f.Tenant.ID, admin.UserID, time.Hour)
	must(t, err)
	must(t, f.S.RevokeToken(ctx, strings.ToUpper(tok2.ID)))
	wantCode(t, "revoke twice", f.S.RevokeToken(ctx, tok2.ID), allot.ENOTFOUND)
	_, _, err = f.S.CreateToken(ctx, f.Tenant.ID, "nobody@contoso.example", time.Hour)
	wantCode(t, "token for nobody", err, allot.ENOTFOUND)

	events, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{Limit: 1000})
	must(t, err)
	slices.Reverse(events)
	var got []operatorEvent
	for _, e := range events {
		if strings.HasPrefix(e.Action, "token.") || strings.HasPrefix(e.Action, "tenant.") {
			got = append(got, operatorEvent{e.Action, e.TargetType, e.TargetID, e.ActorID, e.ActorName, e.Via})
		}
		if strings.Contains(string(e.Before)+string(e.After), secret) {
			t.Errorf("audit event %d records a token's secret", e.ID)
		}
	}
	op := func(action, typ, id string) operatorEvent {
		return operatorEvent{action, typ, id, "", "operator", allot.ChannelSystem}
	}
	diff(t, "operator events", got, []operatorEvent{
		op(allot.AuditTenantCreate, "tenant", f.Tenant.ID),
		op(allot.AuditTokenCreate, "token", tok.ID),
		op(allot.AuditTokenRevoke, "token", tok.ID),
		op(allot.AuditTokenCreate, "token", tok2.ID),
		op(allot.AuditTokenRevoke, "token", tok2.ID),
	})

	// A tenant's creation is recorded in that tenant, and a refused one
	// nowhere.
	other := &allot.Tenant{Name: "Fabrikam", Domain: "fabrikam.example"}
	must(t, f.S.CreateTenant(ctx, other))
	wantCode(t, "domain taken", f.S.CreateTenant(ctx, &allot.Tenant{Name: "Again", Domain: "FABRIKAM.example"}), allot.ECONFLICT)
	theirs, err := f.S.FindAuditEvents(ctx, allot.SystemPrincipal(other.ID, "test"), allot.AuditFilter{})
	must(t, err)
	got = nil
	for _, e := range theirs {
		got = append(got, operatorEvent{e.Action, e.TargetType, e.TargetID, e.ActorID, e.ActorName, e.Via})
	}
	diff(t, "the new tenant's events", got, []operatorEvent{op(allot.AuditTenantCreate, "tenant", other.ID)})
}
