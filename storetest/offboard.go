package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testOffboard offboards a former employee: refusals change nothing, a
// dry run says everything and changes nothing, and the offboarding holds
// the mailbox, moves the licenses to the successor, blocks sign-in and
// revokes the user's tokens, audited.
func testOffboard(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 3)
	leaver := f.User("leaver@contoso.example", "FR")
	successor := f.User("successor@contoso.example", "FR")
	nowhere := f.User("nowhere@contoso.example", "")
	f.Assign(leaver.ID, O365E3, ExchangeArchive)
	secret, _, err := f.S.CreateToken(ctx, f.Tenant.ID, leaver.UserPrincipalName, time.Hour)
	must(t, err)
	o := allot.Offboarding{User: leaver.UserPrincipalName, Hold: true, Successor: successor.UserPrincipalName}

	unchanged := func(what string) {
		t.Helper()
		u, err := f.S.FindUser(ctx, f.Sys, leaver.ID)
		must(t, err)
		if !u.AccountEnabled || len(u.Licenses) != 2 {
			t.Errorf("%s: the leaver changed: enabled %v, %d licenses", what, u.AccountEnabled, len(u.Licenses))
		}
		if _, err := f.S.Authenticate(ctx, secret); err != nil {
			t.Errorf("%s: the leaver's token was revoked: %v", what, err)
		}
		holds, err := f.S.FindHolds(ctx, f.Admin(), allot.HoldFilter{})
		must(t, err)
		diff(t, what+": holds", len(holds), 0)
	}
	_, err = f.S.Offboard(ctx, f.Admins[allot.RoleLicenseAdmin], o)
	wantCode(t, "License Administrator", err, allot.EFORBIDDEN)
	_, err = f.S.Offboard(ctx, f.Admins[allot.RoleUserAdmin], o)
	wantCode(t, "User Administrator placing a hold", err, allot.EFORBIDDEN)
	_, err = f.S.Offboard(ctx, f.Admin(), allot.Offboarding{User: leaver.ID, Hold: true, Successor: "nobody@contoso.example"})
	wantCode(t, "unknown successor", err, allot.ENOTFOUND)
	_, err = f.S.Offboard(ctx, f.Admin(), allot.Offboarding{User: leaver.ID, Hold: true, Successor: nowhere.ID})
	wantCode(t, "successor without a usage location", err, allot.EUSAGELOCATION)
	long := strings.Repeat("x", allot.MaxHoldNameLength+1)
	alone := f.S.CreateHold(ctx, f.Admin(), &allot.Hold{UserID: leaver.ID, Name: long})
	wantCode(t, "CreateHold with a name too long", alone, allot.EINVALID)
	for _, dryRun := range []bool{true, false} {
		_, err = f.S.Offboard(ctx, f.Admin(), allot.Offboarding{User: leaver.ID, Hold: true, HoldName: long, Successor: successor.ID, DryRun: dryRun})
		wantCode(t, "hold name too long", err, allot.EINVALID)
		diff(t, "hold name too long: CreateHold's refusal", fmt.Sprint(err), fmt.Sprint(alone))
	}
	unchanged("after refusals")

	dry := o
	dry.DryRun = true
	res, err := f.S.Offboard(ctx, f.Admin(), dry)
	must(t, err)
	diff(t, "dry run: licenses moved", sorted(skuIDs(res.Licenses)), sorted([]string{O365E3, ExchangeArchive}))
	diff(t, "dry run: tokens", res.TokensRevoked, 1)
	diff(t, "dry run: mailbox", res.Impact.After.Mailbox, allot.MailboxDisconnected)
	diff(t, "dry run: held", res.Impact.Held, true)
	unchanged("after the dry run")

	res, err = f.S.Offboard(ctx, f.Admin(), o)
	must(t, err)
	u, err := f.S.FindUser(ctx, f.Sys, leaver.ID)
	must(t, err)
	diff(t, "blocked", u.AccountEnabled, false)
	diff(t, "licenses left", len(u.Licenses), 0)
	s, err := f.S.FindUser(ctx, f.Sys, successor.ID)
	must(t, err)
	diff(t, "successor's licenses", sorted(skuIDs(s.Licenses)), sorted([]string{O365E3, ExchangeArchive}))
	_, err = f.S.Authenticate(ctx, secret)
	wantCode(t, "the leaver's token", err, allot.EUNAUTHORIZED)
	diff(t, "hold placed", res.Hold != nil && res.Hold.Name == "Offboarding of leaver@contoso.example", true)
	wantMailbox(t, "leaver's mailbox", f.data(leaver.ID), allot.MailboxDisconnected, f.Clock.Now().Add(allot.MailboxGrace))
	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: leaver.ID})
	must(t, err)
	if len(events) == 0 || events[0].Action != allot.AuditUserOffboard {
		t.Errorf("the newest event of the leaver is not user.offboard: %+v", events)
	}
	f.CheckCounters()
}
