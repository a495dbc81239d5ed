package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

const (
	goodPassword  = "correct horse battery"
	otherPassword = "Tr0ub4dor&3 again"
)

// testPasswords: only an active, unblocked user with a password signs in,
// with it and by any case of the UPN; every refusal is the same answer; a
// session is an ordinary token, ended by revoking it.
func testPasswords(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	admin := f.Admin()
	blocked := f.User("blocked@contoso.example", "FR")
	deleted := f.User("deleted@contoso.example", "FR")
	nopass := f.User("nopass@contoso.example", "FR")
	for _, u := range []string{admin.Name, blocked.ID, deleted.UserPrincipalName} {
		must(t, f.S.SetPassword(ctx, f.Tenant.ID, u, goodPassword))
	}
	_, err := f.S.UpdateUser(ctx, f.Sys, blocked.ID, allot.UserUpdate{AccountEnabled: ptr(false)})
	must(t, err)
	must(t, f.S.DeleteUser(ctx, f.Sys, deleted.ID))

	var refusal string
	tests := []struct {
		name, username, password string
		want                     string
	}{
		{"right password", admin.Name, goodPassword, ""},
		{"UPN in another case, with spaces", " ADMIN0@Contoso.Example ", goodPassword, ""},
		{"wrong password", admin.Name, otherPassword, allot.EUNAUTHORIZED},
		{"password in another case", admin.Name, "CORRECT HORSE BATTERY", allot.EUNAUTHORIZED},
		{"empty password", admin.Name, "", allot.EUNAUTHORIZED},
		{"unknown user", "nobody@contoso.example", goodPassword, allot.EUNAUTHORIZED},
		{"unknown domain", "admin0@fabrikam.example", goodPassword, allot.EUNAUTHORIZED},
		{"not a UPN", "admin0", goodPassword, allot.EUNAUTHORIZED},
		{"no password set", nopass.UserPrincipalName, goodPassword, allot.EUNAUTHORIZED},
		{"no password set, empty one given", nopass.UserPrincipalName, "", allot.EUNAUTHORIZED},
		{"blocked", blocked.UserPrincipalName, goodPassword, allot.EUNAUTHORIZED},
		{"deleted", deleted.UserPrincipalName, goodPassword, allot.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, tok, err := f.S.SignIn(ctx, tt.username, tt.password, time.Hour)
			wantCode(t, "sign-in", err, tt.want)
			if tt.want != "" {
				if refusal == "" {
					refusal = allot.ErrorMessage(err)
				}
				diff(t, "refusal's message, the same for every cause", allot.ErrorMessage(err), refusal)
				return
			}
			diff(t, "token", []any{tok.TenantID, tok.UserID, tok.Owner, tok.ExpiresAt}, []any{f.Tenant.ID, admin.UserID, admin.Name, f.Clock.Now().Add(time.Hour)})
			p, err := f.S.Authenticate(ctx, secret)
			must(t, err)
			diff(t, "session's principal", []any{p.TenantID, p.UserID, p.Roles}, []any{f.Tenant.ID, admin.UserID, []allot.Role{allot.RoleGlobalAdmin}})
		})
	}
	_, _, err = f.S.SignIn(ctx, admin.Name, goodPassword, 0)
	wantCode(t, "session without lifetime", err, allot.EINVALID)

	restored, err := f.S.RestoreUser(ctx, f.Sys, deleted.ID)
	must(t, err)
	_, _, err = f.S.SignIn(ctx, restored.UserPrincipalName, goodPassword, time.Hour)
	wantCode(t, "restored user keeps the password", err, "")
}

// testPasswordChange: setting a password refuses a bad one and changes
// nothing then; a new password replaces the old one and ends no session.
func testPasswordChange(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	admin, plain := f.Admin(), f.Plain
	must(t, f.S.SetPassword(ctx, f.Tenant.ID, admin.UserID, goodPassword))
	must(t, f.S.SetPassword(ctx, f.Tenant.ID, plain.Name, goodPassword))
	session, _, err := f.S.SignIn(ctx, admin.Name, goodPassword, time.Hour)
	must(t, err)

	wantFields(t, "too short", f.S.SetPassword(ctx, f.Tenant.ID, admin.Name, "short"),
		&allot.Error{Code: allot.EINVALID, Field: "password", Count: 5, Limit: allot.MinPasswordLength})
	wantCode(t, "unknown user", f.S.SetPassword(ctx, f.Tenant.ID, "nobody@contoso.example", otherPassword), allot.ENOTFOUND)
	wantCode(t, "user of another tenant", f.S.SetPassword(ctx, "00000000-0000-4000-8000-000000000001", admin.Name, otherPassword), allot.ENOTFOUND)
	_, _, err = f.S.SignIn(ctx, admin.Name, goodPassword, time.Hour)
	wantCode(t, "old password after refusals", err, "")

	must(t, f.S.SetPassword(ctx, f.Tenant.ID, admin.Name, otherPassword))
	_, _, err = f.S.SignIn(ctx, admin.Name, goodPassword, time.Hour)
	wantCode(t, "old password after the change", err, allot.EUNAUTHORIZED)
	_, _, err = f.S.SignIn(ctx, admin.Name, otherPassword, time.Hour)
	wantCode(t, "new password", err, "")
	_, err = f.S.Authenticate(ctx, session)
	wantCode(t, "session opened before the change", err, "")
	_, _, err = f.S.SignIn(ctx, plain.Name, goodPassword, time.Hour)
	wantCode(t, "another user's password", err, "")

	must(t, f.S.RevokeToken(ctx, session))
	_, err = f.S.Authenticate(ctx, session)
	wantCode(t, "signed out", err, allot.EUNAUTHORIZED)
	f.wantPasswordAudit(admin)
}

// wantPasswordAudit checks that setting a password and signing in are
// audited, the first as the operator, the second as the user, and that no
// event holds a password or its hash.
func (f *Fixture) wantPasswordAudit(admin allot.Principal) {
	f.T.Helper()
	events, err := f.S.FindAuditEvents(f.ctx, f.Admin(), allot.AuditFilter{UserID: admin.UserID})
	must(f.T, err)
	count := map[string]int{}
	for _, e := range events {
		count[e.Action]++
		for _, s := range []string{string(e.Before), string(e.After)} {
			if containsAny(s, goodPassword, otherPassword, "argon2") {
				f.T.Errorf("audit event %s holds a password or its hash: %s", e.Action, s)
			}
		}
		switch e.Action {
		case allot.AuditPasswordSet:
			diff(f.T, "set-password's actor", []any{e.ActorID, e.Via}, []any{"", allot.ChannelSystem})
		case allot.AuditSignIn:
			diff(f.T, "sign-in's actor", []any{e.ActorID, e.ActorName, e.Via}, []any{admin.UserID, admin.Name, allot.ChannelUI})
		}
	}
	diff(f.T, "password events", []int{count[allot.AuditPasswordSet], count[allot.AuditSignIn]}, []int{2, 3})
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
