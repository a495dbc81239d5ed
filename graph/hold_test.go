package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestHoldsAndDiscovery drives /api/holds and /api/discovery/mailboxes as
// an administrator would: the unlicensed mailbox in grace is not
// searchable until a hold covers it; releasing the hold answers the
// hold with its release date; bad requests are refused with 400.
func TestHoldsAndDiscovery(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ctx := context.Background()
	target := a.users["target"]
	for _, ch := range []allot.LicenseChange{{Add: []allot.AssignedLicense{{SKUID: skuE3}}}, {Remove: []string{skuE3}}} {
		_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), target.ID, ch)
		must(t, err)
	}
	searchable := func() map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, m := range f.get(t, a, callerGlobal, "/api/discovery/mailboxes").values(t) {
			out[m["userPrincipalName"].(string)] = m["held"].(bool)
		}
		return out
	}
	if _, ok := searchable()[target.UserPrincipalName]; ok {
		t.Errorf("an unheld mailbox in grace is searchable")
	}
	// Pages of one, linked by @odata.nextLink, add up to the whole list.
	for _, c := range []string{callerUser, callerReader, callerOrdinary} {
		_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), a.users[c].ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
		must(t, err)
	}
	whole := searchable()
	paged := map[string]bool{}
	for link := "/api/discovery/mailboxes?$top=1"; link != ""; {
		resp := f.get(t, a, callerGlobal, link)
		page := resp.object(t)
		for _, m := range resp.values(t) {
			paged[m["userPrincipalName"].(string)] = m["held"].(bool)
		}
		next, _ := page["@odata.nextLink"].(string)
		if next != "" && len(resp.values(t)) != 1 {
			t.Fatalf("a page of $top=1 with %d mailboxes", len(resp.values(t)))
		}
		link = ""
		if next != "" {
			u, err := url.Parse(next)
			must(t, err)
			link = u.RequestURI()
		}
	}
	if len(whole) < 2 || fmt.Sprint(paged) != fmt.Sprint(whole) {
		t.Errorf("pages of one -want +got\n-%v\n+%v", whole, paged)
	}
	if resp := f.get(t, a, callerGlobal, "/api/discovery/mailboxes?$top=5000"); resp.status != http.StatusBadRequest {
		t.Errorf("$top=5000: %d %s, want 400", resp.status, resp.body)
	}

	tests := []struct {
		name, body string
		want       int
	}{
		{"unknown member", `{"user":"` + target.UserPrincipalName + `","name":"Case","extra":1}`, http.StatusBadRequest},
		{"no name", `{"user":"` + target.UserPrincipalName + `"}`, http.StatusBadRequest},
		{"unknown user", `{"user":"nobody@contoso.example","name":"Case"}`, http.StatusNotFound},
		{"placed", `{"user":"` + target.UserPrincipalName + `","name":"Case 42"}`, http.StatusCreated},
	}
	var hold map[string]any
	for _, tt := range tests {
		resp := f.send(t, a, callerGlobal, "POST", "/api/holds", tt.body)
		if resp.status != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, resp.status, resp.body, tt.want)
		}
		if resp.status == http.StatusCreated {
			hold = resp.object(t)
		}
	}
	if hold["userId"] != target.ID || hold["name"] != "Case 42" || hold["releasedDateTime"] != nil {
		t.Errorf("hold = %v", hold)
	}
	if held, ok := searchable()[target.UserPrincipalName]; !ok || !held {
		t.Errorf("a held mailbox in grace is not searchable as held")
	}
	if n := len(f.get(t, a, callerGlobal, "/api/holds").values(t)); n != 1 {
		t.Errorf("holds listed: %d, want 1", n)
	}
	id := hold["id"].(string)
	released := f.send(t, a, callerGlobal, "POST", "/api/holds/"+id+"/release", "")
	if released.status != http.StatusOK || released.object(t)["releasedDateTime"] == nil {
		t.Errorf("release: %d %s", released.status, released.body)
	}
	if again := f.send(t, a, callerGlobal, "POST", "/api/holds/"+id+"/release", ""); again.status != http.StatusBadRequest {
		t.Errorf("release again: %d %s, want 400", again.status, again.body)
	}
	if n := len(f.get(t, a, callerGlobal, "/api/holds?includeReleased=true").values(t)); n != 1 {
		t.Errorf("holds listed with released ones: %d, want 1", n)
	}
	if bad := f.get(t, a, callerGlobal, "/api/holds?includeReleased=maybe"); bad.status != http.StatusBadRequest {
		t.Errorf("includeReleased=maybe: %d, want 400", bad.status)
	}
}

// TestDataPreview asks what unassigning the target's only license and
// deleting it would do, checks the answer and that nothing changed, then
// makes the change and reads the state the preview announced.
func TestDataPreview(t *testing.T) {
	f := newFixture(t)
	a := f.a
	target := a.users["target"]
	_, err := f.db.AssignLicenses(context.Background(), sys(a.tenant.ID), target.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	body := `{"addLicenses":[],"removeLicenses":["` + skuE3 + `"]}`
	purge := f.clock.Now().UTC().Truncate(time.Microsecond).Add(allot.MailboxGrace).Format("2006-01-02")
	resp := f.send(t, a, callerLicense, "POST", "/api/users/"+target.ID+"/preview/assignLicense", body)
	if resp.status != http.StatusOK {
		t.Fatalf("preview: %d %s", resp.status, resp.body)
	}
	im := resp.object(t)
	want := "mailbox disconnected now, purged on " + purge + " unless a license with a mailbox comes back; files kept; not searchable from now"
	if im["summary"] != want || im["changed"] != true {
		t.Errorf("preview (-want +got):\n-%s\n+%v", want, im["summary"])
	}
	if n := len(f.licenses(t, a, target.ID)); n != 1 {
		t.Errorf("the preview changed the licenses: %d left", n)
	}
	if data := f.get(t, a, callerReader, "/api/users/"+target.ID+"/data").object(t); data["mailbox"] != "active" {
		t.Errorf("after the preview, mailbox %v, want active", data["mailbox"])
	}
	if del := f.send(t, a, callerGlobal, "POST", "/api/users/"+target.ID+"/preview/delete", ""); del.status != http.StatusOK ||
		del.object(t)["after"].(map[string]any)["files"] != "pendingDeletion" {
		t.Errorf("preview delete: %d %s", del.status, del.body)
	}
	if refused := f.send(t, a, callerLicense, "POST", "/api/users/"+target.ID+"/preview/delete", ""); refused.status != http.StatusForbidden {
		t.Errorf("preview delete by a License Administrator: %d, want 403", refused.status)
	}
	if done := f.send(t, a, callerLicense, "POST", "/v1.0/users/"+target.ID+"/assignLicense", body); done.status != http.StatusOK {
		t.Fatalf("assignLicense: %d %s", done.status, done.body)
	}
	data := f.get(t, a, callerReader, "/api/users/"+target.ID+"/data").object(t)
	after := im["after"].(map[string]any)
	if data["mailbox"] != after["mailbox"] || data["mailboxPurgeDateTime"] != after["mailboxPurgeDateTime"] || data["files"] != after["files"] {
		t.Errorf("the change did %v, the preview said %v", data, after)
	}
}

// TestDataRetention reads and sets the tenant's file retention.
func TestDataRetention(t *testing.T) {
	f := newFixture(t)
	a := f.a
	if got := f.get(t, a, callerReader, "/api/dataRetention").object(t)["fileRetentionDays"]; got != float64(30) {
		t.Errorf("default: %v, want 30", got)
	}
	tests := []struct {
		name, caller, body string
		want               int
	}{
		{"reader", callerReader, `{"fileRetentionDays":90}`, http.StatusForbidden},
		{"too short", callerGlobal, `{"fileRetentionDays":29}`, http.StatusBadRequest},
		{"missing", callerGlobal, `{}`, http.StatusBadRequest},
		{"set", callerGlobal, `{"fileRetentionDays":90}`, http.StatusOK},
	}
	for _, tt := range tests {
		if resp := f.send(t, a, tt.caller, "PATCH", "/api/dataRetention", tt.body); resp.status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.status, resp.body, tt.want)
		}
	}
	if got := f.get(t, a, callerReader, "/api/dataRetention").object(t)["fileRetentionDays"]; got != float64(90) {
		t.Errorf("after the change: %v, want 90", got)
	}
}

// TestOffboardAPI offboards the target with a dry run first.
func TestOffboardAPI(t *testing.T) {
	f := newFixture(t)
	a := f.a
	target := a.users["target"]
	_, err := f.db.AssignLicenses(context.Background(), sys(a.tenant.ID), target.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	path := "/api/users/" + target.ID + "/offboard"
	if resp := f.send(t, a, callerLicense, "POST", path, `{}`); resp.status != http.StatusForbidden {
		t.Errorf("License Administrator: %d, want 403", resp.status)
	}
	if resp := f.send(t, a, callerGlobal, "POST", path, `{"successor":1}`); resp.status != http.StatusBadRequest {
		t.Errorf("bad body: %d, want 400", resp.status)
	}
	dry := f.send(t, a, callerGlobal, "POST", path+"?dryRun=true", `{"hold":true}`).object(t)
	if dry["dryRun"] != true || dry["accountEnabled"] != false || dry["hold"] == nil || len(dry["licenses"].([]any)) != 1 {
		t.Errorf("dry run: %v", dry)
	}
	if n := len(f.licenses(t, a, target.ID)); n != 1 {
		t.Fatalf("the dry run removed licenses: %d left", n)
	}
	done := f.send(t, a, callerGlobal, "POST", path, `{"hold":true,"holdName":"Case 7"}`)
	if done.status != http.StatusOK {
		t.Fatalf("offboard: %d %s", done.status, done.body)
	}
	got := done.object(t)
	if got["impact"].(map[string]any)["after"].(map[string]any)["mailbox"] != "disconnected" || got["hold"].(map[string]any)["name"] != "Case 7" {
		t.Errorf("offboard: %v", got)
	}
	if n := len(f.licenses(t, a, target.ID)); n != 0 {
		t.Errorf("licenses left: %d", n)
	}
}
